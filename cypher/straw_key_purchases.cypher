// The straw lookup keys (loaders/straw_keys.py): the purchase records of the firearms $keys, with their dealer, date
// and multiple-sale report.
UNWIND $keys AS k
MATCH (f:Firearm {firearm_key: k})
OPTIONAL MATCH (f)<-[r:PURCHASED]-(p:Person)
WITH f.firearm_key AS firearm_key, p.person_key AS person_key, r.dealer_key AS dealer_key,
     r.purchase_date AS purchase_date, r.multiple_sale AS multiple_sale, r.report_id AS report_id
WHERE person_key IS NOT NULL
RETURN firearm_key, dealer_key, purchase_date, multiple_sale, report_id
