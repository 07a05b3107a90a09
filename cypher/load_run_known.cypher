// Whether the load run $run is in the store already (a resumed or repeated load: graph/run_keys.py).
MATCH (r:LoadRun {run_id: $run})
RETURN count(r) AS known
