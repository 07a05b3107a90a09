// The TheftReport nodes among $keys (the keys the load runs $runs recorded, graph/run_keys.py) that one of the runs wrote
// last: what theft_reports_of_runs finds by scanning, read by key.
UNWIND $keys AS k
MATCH (n:TheftReport {report_id: k})
WHERE n.load_run_id IN $runs
RETURN n.report_id AS key
