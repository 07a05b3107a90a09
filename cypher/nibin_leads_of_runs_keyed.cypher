// The NIBIN leads from the recoveries $keys (the lead ends the load runs $runs recorded, graph/run_keys.py) that one
// of the runs wrote last: what nibin_leads_of_runs finds by scanning, read by key.
UNWIND $keys AS k
MATCH (a:Recovery {trace_id: k})-[l:NIBIN_LINK]->(b:Recovery)
WHERE l.load_run_id IN $runs
RETURN a.trace_id AS src, b.trace_id AS dst
