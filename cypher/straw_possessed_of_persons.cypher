// The straw neighbourhood: the recoveries made from the persons $keys.
UNWIND $keys AS k
MATCH (p:Person {person_key: k})
OPTIONAL MATCH (r:Recovery)-[:POSSESSED_BY]->(p)
WITH r, p WHERE r IS NOT NULL
RETURN r.trace_id AS src, p.person_key AS dst
