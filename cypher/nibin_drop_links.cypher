// A corrected NIBIN lead's earlier link: $rows (lead_id, from_key, to_key) name NIBIN_LINK relationships the lead
// no longer states (another pair of recoveries).
UNWIND $rows AS row
MATCH (a:Recovery {trace_id: row.from_key})-[n:NIBIN_LINK]->(b:Recovery {trace_id: row.to_key})
WHERE n.lead_id = row.lead_id
DELETE n
