// The straw neighbourhood: who the recoveries $keys were recovered from.
UNWIND $keys AS k
MATCH (r:Recovery {trace_id: k})
OPTIONAL MATCH (r)-[:POSSESSED_BY]->(p:Person)
WITH r.trace_id AS src, p.person_key AS dst WHERE dst IS NOT NULL
RETURN src, dst
