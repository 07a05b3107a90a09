// The straw neighbourhood: the NIBIN leads from the recoveries $keys.
UNWIND $keys AS k
MATCH (a:Recovery {trace_id: k})
OPTIONAL MATCH (a)-[n:NIBIN_LINK]->(b:Recovery)
WITH a.trace_id AS src, b.trace_id AS dst, n.status AS status WHERE dst IS NOT NULL
RETURN src, dst, status
