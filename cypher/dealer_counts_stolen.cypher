// Loss/theft reports naming the given firearms (a trace of a reported gun does not count as stopped at its dealer).
UNWIND $keys AS key
MATCH (f:Firearm {firearm_key: key})-[:REPORTED_STOLEN]->(t:TheftReport)
RETURN f.firearm_key AS src, t.report_id AS dst, t.reported_date AS reported_date
