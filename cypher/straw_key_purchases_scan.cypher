// The straw lookup keys (loaders/straw_keys.py): straw_key_purchases' rows by a MATCH, which LadybugDB 0.22 plans
// as a scan of the purchase records (~1.7 CPU s at national scale against ~0.08): read only when the OPTIONAL MATCH
// missed rows the load's own transaction wrote (docs/performance.md, keys23).
UNWIND $keys AS k
MATCH (f:Firearm {firearm_key: k})<-[r:PURCHASED]-(p:Person)
RETURN f.firearm_key AS firearm_key, r.dealer_key AS dealer_key, r.purchase_date AS purchase_date,
       r.multiple_sale AS multiple_sale, r.report_id AS report_id
