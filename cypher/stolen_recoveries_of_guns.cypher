// The recoveries of the guns $keys (firearm_key, trace_id): with stolen_reports_of_guns, the stolen hits a load's
// own transaction wrote that the hit statements miss inside it (algorithms/stolen_hits.py, docs/performance.md
// fault24); read by key from the gun.
UNWIND $keys AS k
MATCH (f:Firearm {firearm_key: k})
OPTIONAL MATCH (f)-[:RECOVERED_IN]->(r:Recovery)
WITH f.firearm_key AS firearm_key, r.trace_id AS trace_id
WHERE trace_id IS NOT NULL
RETURN firearm_key, trace_id
