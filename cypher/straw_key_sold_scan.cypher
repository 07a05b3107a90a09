// The straw lookup keys (loaders/straw_keys.py): straw_sold's rows by a MATCH (straw_key_purchases_scan).
UNWIND $keys AS k
MATCH (d:Dealer)-[s:SOLD]->(f:Firearm {firearm_key: k})
RETURN d.dealer_key AS src, f.firearm_key AS dst, s.sale_date AS sale_date
