// A corrected multiple-sale row's earlier dealer: $rows (dealer, firearm) name SOLD relationships no record states
// any longer. A sale stays while a purchase record of the gun still names the dealer, or while the gun has a trace
// without a purchase record (a trace states its dealer's sale even without a purchaser).
UNWIND $rows AS row
MATCH (d:Dealer {dealer_key: row.dealer})-[s:SOLD]->(f:Firearm {firearm_key: row.firearm})
WHERE NOT EXISTS { MATCH (:Person)-[u:PURCHASED]->(f) WHERE u.dealer_key = row.dealer }
  AND NOT EXISTS { MATCH (f)-[:RECOVERED_IN]->(r:Recovery)
                   WHERE NOT EXISTS { MATCH (:Person)-[v:PURCHASED]->(f) WHERE v.sale_id = 'trace:' + r.trace_id } }
DELETE s
