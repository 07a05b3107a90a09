// The stored version of each lost/stolen report $report_ids already in the store (a re-load; none for new reports):
// one row per gun it names, with its dealer reporter and date, for the stolen loader to compare with the version
// being loaded (loaders/corrections.py).
UNWIND $report_ids AS id
MATCH (t:TheftReport {report_id: id})
OPTIONAL MATCH (f:Firearm)-[:REPORTED_STOLEN]->(t)
OPTIONAL MATCH (d:Dealer)-[:REPORTED]->(t)
RETURN id AS report_id, f.firearm_key AS firearm_key, d.dealer_key AS dealer_key, t.reported_date AS reported_date,
       t.reporter AS reporter, t.country AS country
