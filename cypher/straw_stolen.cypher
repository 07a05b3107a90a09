// The straw neighbourhood: the lost/stolen reports naming the firearms $keys, with their dates.
UNWIND $keys AS k
MATCH (f:Firearm {firearm_key: k})
OPTIONAL MATCH (f)-[:REPORTED_STOLEN]->(t:TheftReport)
WITH f.firearm_key AS src, t.report_id AS dst, t.reported_date AS reported_date WHERE dst IS NOT NULL
RETURN src, dst, reported_date
