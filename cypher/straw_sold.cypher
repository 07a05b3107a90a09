// The straw neighbourhood: the retail sales of the firearms $keys.
UNWIND $keys AS k
MATCH (f:Firearm {firearm_key: k})
OPTIONAL MATCH (d:Dealer)-[s:SOLD]->(f)
WITH d.dealer_key AS src, f.firearm_key AS dst, s.sale_date AS sale_date WHERE src IS NOT NULL
RETURN src, dst, sale_date
