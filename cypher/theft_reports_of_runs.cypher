// The TheftReport nodes the given load runs wrote (an incremental analysis' new rows), filtered in the engine.
MATCH (n:TheftReport)
WHERE n.load_run_id IN $runs
RETURN n.report_id AS key
