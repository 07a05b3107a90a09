// The Firearm nodes the given load runs wrote (an incremental analysis' new rows), filtered in the engine.
MATCH (n:Firearm)
WHERE n.load_run_id IN $runs
RETURN n.firearm_key AS key
