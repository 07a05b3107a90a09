// The straw neighbourhood: every purchase record of the persons $keys. (Every straw_* statement binds its start
// node by key and reaches the rest with OPTIONAL MATCH: LadybugDB then follows the node's own relationships, where
// a plain MATCH from an UNWIND is planned as a hash join over the whole relationship table.)
UNWIND $keys AS k
MATCH (p:Person {person_key: k})
OPTIONAL MATCH (p)-[r:PURCHASED]->(f:Firearm)
WITH p.person_key AS src, f.firearm_key AS dst, r.sale_id AS sale_id, r.purchase_date AS purchase_date,
     r.dealer_key AS dealer_key, r.multiple_sale AS multiple_sale, r.report_id AS report_id, r.source AS source
WHERE dst IS NOT NULL
RETURN src, dst, sale_id, purchase_date, dealer_key, multiple_sale, report_id, source
