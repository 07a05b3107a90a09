// The Recovery nodes the given load runs wrote (an incremental analysis' new rows), filtered in the engine.
MATCH (n:Recovery)
WHERE n.load_run_id IN $runs
RETURN n.trace_id AS key
