// The straw neighbourhood: the firearms the lost/stolen reports $keys name.
UNWIND $keys AS k
MATCH (t:TheftReport {report_id: k})
OPTIONAL MATCH (f:Firearm)-[:REPORTED_STOLEN]->(t)
WITH f.firearm_key AS key WHERE key IS NOT NULL
RETURN key
