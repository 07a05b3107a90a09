// Every purchase row of the given firearms (one purchase event per person and firearm: algorithms/dealers.py).
UNWIND $keys AS key
MATCH (p:Person)-[b:PURCHASED]->(f:Firearm {firearm_key: key})
RETURN p.person_key AS src, f.firearm_key AS dst, b.sale_id AS sale_id, b.purchase_date AS purchase_date,
       b.dealer_key AS dealer_key, b.multiple_sale AS multiple_sale, b.report_id AS report_id, b.source AS source
