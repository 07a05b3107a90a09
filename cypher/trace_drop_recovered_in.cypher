// A corrected trace record's earlier gun: $rows (firearm, trace_id) name RECOVERED_IN relationships the record no
// longer states.
UNWIND $rows AS row
MATCH (f:Firearm {firearm_key: row.firearm})-[e:RECOVERED_IN]->(r:Recovery {trace_id: row.trace_id})
DELETE e
