// The lost/stolen reports naming the guns $keys (firearm_key, report_id): see stolen_recoveries_of_guns.
UNWIND $keys AS k
MATCH (f:Firearm {firearm_key: k})
OPTIONAL MATCH (f)-[:REPORTED_STOLEN]->(t:TheftReport)
WITH f.firearm_key AS firearm_key, t.report_id AS report_id
WHERE report_id IS NOT NULL
RETURN firearm_key, report_id
