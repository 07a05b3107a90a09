// The Person nodes the given load runs wrote (an incremental analysis' new rows), filtered in the engine.
MATCH (n:Person)
WHERE n.load_run_id IN $runs
RETURN n.person_key AS key
