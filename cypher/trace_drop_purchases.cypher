// A corrected trace record's or multiple-sale row's earlier purchase: $rows (person, firearm, sale_id) name purchase
// relationships the record no longer states (another purchaser or another gun).
UNWIND $rows AS row
MATCH (p:Person {person_key: row.person})-[u:PURCHASED]->(f:Firearm {firearm_key: row.firearm})
WHERE u.sale_id = row.sale_id
DELETE u
