// The guns $keys a corrected lost/stolen report no longer names: those no other report names lose the stolen flags
// the hit check wrote (algorithms/stolen_hits.py writes flags, never clears them), on the gun and its recoveries.
UNWIND $keys AS k
MATCH (f:Firearm {firearm_key: k})
WHERE NOT EXISTS { MATCH (f)-[:REPORTED_STOLEN]->(:TheftReport) }
OPTIONAL MATCH (f)-[:RECOVERED_IN]->(r:Recovery)
SET f.reported_stolen = NULL, r.reported_stolen = NULL, r.stolen_report_id = NULL
