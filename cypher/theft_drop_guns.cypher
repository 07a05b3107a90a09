// A corrected lost/stolen report's earlier guns: $rows (firearm, report_id) name REPORTED_STOLEN relationships the
// report no longer states.
UNWIND $rows AS row
MATCH (f:Firearm {firearm_key: row.firearm})-[e:REPORTED_STOLEN]->(t:TheftReport {report_id: row.report_id})
DELETE e
