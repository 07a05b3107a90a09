// The side table's delta (graph/side_table.py): every purchase record of the firearms $keys, as straw_purchases.
UNWIND $keys AS k
MATCH (f:Firearm {firearm_key: k})
OPTIONAL MATCH (p:Person)-[r:PURCHASED]->(f)
WITH p.person_key AS src, f.firearm_key AS dst, r.sale_id AS sale_id, r.purchase_date AS purchase_date,
     r.dealer_key AS dealer_key, r.multiple_sale AS multiple_sale, r.report_id AS report_id, r.source AS source
WHERE src IS NOT NULL
RETURN src, dst, sale_id, purchase_date, dealer_key, multiple_sale, report_id, source
