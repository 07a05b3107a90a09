// The straw neighbourhood: the recoveries made from the persons $keys.
UNWIND $keys AS k
MATCH (p:Person {person_key: k})
OPTIONAL MATCH (r:Recovery)-[:POSSESSED_BY]->(p)
WITH r.trace_id AS src, p.person_key AS dst WHERE src IS NOT NULL
RETURN src, dst
