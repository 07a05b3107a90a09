// The straw neighbourhood: the NIBIN leads to the recoveries $keys.
UNWIND $keys AS k
MATCH (b:Recovery {trace_id: k})
OPTIONAL MATCH (a:Recovery)-[n:NIBIN_LINK]->(b)
WITH a, n, b WHERE a IS NOT NULL
RETURN a.trace_id AS src, b.trace_id AS dst, n.status AS status
