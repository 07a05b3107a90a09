// The straw neighbourhood: the NIBIN leads to the recoveries $keys.
UNWIND $keys AS k
MATCH (b:Recovery {trace_id: k})
OPTIONAL MATCH (a:Recovery)-[n:NIBIN_LINK]->(b)
WITH a.trace_id AS src, b.trace_id AS dst, n.status AS status WHERE src IS NOT NULL
RETURN src, dst, status
