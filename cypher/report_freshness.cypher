// How fresh the data behind a report is: the newest load and the newest recovery.
MATCH (r:LoadRun)
WITH max(r.finished_at) AS last_load, count(r) AS load_runs
OPTIONAL MATCH (x:Recovery)
RETURN last_load, load_runs, max(x.recovery_date) AS last_recovery
