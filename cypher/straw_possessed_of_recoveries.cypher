// The straw neighbourhood: who the recoveries $keys were recovered from.
UNWIND $keys AS k
MATCH (r:Recovery {trace_id: k})
OPTIONAL MATCH (r)-[:POSSESSED_BY]->(p:Person)
WITH r, p WHERE p IS NOT NULL
RETURN r.trace_id AS src, p.person_key AS dst
