// A corrected trace record's or multiple-sale row's earlier purchase: $rows (person, firearm, sale_id) name purchase
// relationships the record no longer states (another purchaser or another gun). Bound by key at the gun only: with
// both ends bound LadybugDB 0.22 misses, inside a day's transaction, a purchase an earlier file of the day wrote
// for a gun added past a node group's first 2,048 new rows (docs/performance.md, txreads23), and kept it.
UNWIND $rows AS row
MATCH (f:Firearm {firearm_key: row.firearm})<-[u:PURCHASED]-(p:Person)
WHERE p.person_key = row.person AND u.sale_id = row.sale_id
DELETE u
