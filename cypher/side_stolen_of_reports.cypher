// The side table's delta (graph/side_table.py): the firearms the lost/stolen reports $keys name, as straw_stolen.
UNWIND $keys AS k
MATCH (t:TheftReport {report_id: k})
OPTIONAL MATCH (f:Firearm)-[:REPORTED_STOLEN]->(t)
WITH f.firearm_key AS src, t.report_id AS dst, t.reported_date AS reported_date WHERE src IS NOT NULL
RETURN src, dst, reported_date
