// The straw neighbourhood: the NIBIN leads to the recoveries $keys.
// The far end unlabelled (NIBIN_LINK runs from Recovery to Recovery only): labelled, the engine planned a scan
// of every recovery, 0.06-0.08 CPU s at national scale whatever the keys (graph.embedded_reads.far_end).
UNWIND $keys AS k
MATCH (b:Recovery {trace_id: k})
OPTIONAL MATCH (a)-[n:NIBIN_LINK]->(b)
WITH a.trace_id AS src, b.trace_id AS dst, n.status AS status WHERE src IS NOT NULL
RETURN src, dst, status
