// A corrected lost/stolen report's earlier dealer reporter: $rows (dealer, report_id) name REPORTED relationships
// the report no longer states.
UNWIND $rows AS row
MATCH (d:Dealer {dealer_key: row.dealer})-[e:REPORTED]->(t:TheftReport {report_id: row.report_id})
DELETE e
