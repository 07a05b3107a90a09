// The Person nodes among $keys (the keys the load runs $runs recorded, graph/run_keys.py) that one of the runs wrote
// last: what persons_of_runs finds by scanning, read by key.
UNWIND $keys AS k
MATCH (n:Person {person_key: k})
WHERE n.load_run_id IN $runs
RETURN n.person_key AS key
