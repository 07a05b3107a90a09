// The Recovery nodes among $keys (the keys the load runs $runs recorded, graph/run_keys.py) that one of the runs wrote
// last: what recoveries_of_runs finds by scanning, read by key.
UNWIND $keys AS k
MATCH (n:Recovery {trace_id: k})
WHERE n.load_run_id IN $runs
RETURN n.trace_id AS key
