// sale_drop_sold bound by key at the gun instead of both ends (which the engine reads as bound at the dealer):
// inside a day's transaction LadybugDB 0.22 misses a sale an earlier file of the day wrote for a gun added past a
// node group's first 2,048 new rows (docs/performance.md, fault24); loaders/corrections.py runs both, and takes out
// first the sales the transaction's own purchase records still state (the NOT EXISTS misses those the same way).
UNWIND $rows AS row
MATCH (f:Firearm {firearm_key: row.firearm})<-[s:SOLD]-(d:Dealer)
WHERE d.dealer_key = row.dealer
  AND NOT EXISTS { MATCH (:Person)-[u:PURCHASED]->(f) WHERE u.dealer_key = row.dealer }
  AND NOT EXISTS { MATCH (f)-[:RECOVERED_IN]->(r:Recovery)
                   WHERE NOT EXISTS { MATCH (:Person)-[v:PURCHASED]->(f) WHERE v.sale_id = 'trace:' + r.trace_id } }
DELETE s
