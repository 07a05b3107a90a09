// The stored version of each multiple-sale row of a batch already in the store (a re-load; none for new rows): the
// purchase records $sale_ids of the firearms $firearms (the batch's guns), and the multiple-sale records of the persons
// $persons (the batch's resolved purchasers; the loader keeps the batch's sale ids of them), with their purchaser,
// gun, dealer, date and form, for the multiple-sale loader to compare with the version being loaded
// (loaders/corrections.py). Through the gun a corrected purchaser, dealer or date is found; through the purchaser a
// corrected make or weapon type (it keys another gun). Both start at a key: a pattern starting at the purchase
// scanned every person, and one matching the person and its purchases at once was planned as a scan of every
// purchase (LadybugDB 0.22: 1.1 CPU s at national scale even for no persons; the OPTIONAL MATCH expands from the
// person: 0.01-0.03 s).
UNWIND $firearms AS k
MATCH (f:Firearm {firearm_key: k})
OPTIONAL MATCH (f)<-[u:PURCHASED]-(p:Person)
WITH u.sale_id AS sale_id, f.firearm_key AS firearm_key, p.person_key AS purchaser_key,
     u.purchase_date AS purchase_date, u.dealer_key AS dealer_key, u.form AS form
WHERE purchaser_key IS NOT NULL AND sale_id IN $sale_ids
RETURN sale_id, firearm_key, purchaser_key, purchase_date, dealer_key, form
UNION
UNWIND $persons AS k
MATCH (p:Person {person_key: k})
OPTIONAL MATCH (p)-[u:PURCHASED]->(f:Firearm)
WITH p, u, f
WHERE u.multiple_sale
WITH u.sale_id AS sale_id, f.firearm_key AS firearm_key, p.person_key AS purchaser_key,
     u.purchase_date AS purchase_date, u.dealer_key AS dealer_key, u.form AS form
RETURN sale_id, firearm_key, purchaser_key, purchase_date, dealer_key, form
