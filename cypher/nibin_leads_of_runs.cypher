// The NIBIN leads the given load runs wrote (an incremental analysis' new rows), filtered in the engine.
MATCH (a:Recovery)-[l:NIBIN_LINK]->(b:Recovery)
WHERE l.load_run_id IN $runs
RETURN a.trace_id AS src, b.trace_id AS dst
