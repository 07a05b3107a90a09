// The Firearm nodes among $keys (the keys the load runs $runs recorded, graph/run_keys.py) that one of the runs wrote
// last: what firearms_of_runs finds by scanning, read by key.
UNWIND $keys AS k
MATCH (n:Firearm {firearm_key: k})
WHERE n.load_run_id IN $runs
RETURN n.firearm_key AS key
