// A corrected inspection's earlier dealer: $rows (dealer, inspection_id) name INSPECTED relationships the
// inspection record no longer states (another license number).
UNWIND $rows AS row
MATCH (d:Dealer {dealer_key: row.dealer})-[e:INSPECTED]->(i:Inspection {inspection_id: row.inspection_id})
DELETE e
