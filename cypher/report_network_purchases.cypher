// Purchases by the members of one network, with the selling dealer where a SOLD link is known.
MATCH (p:Person)-[:MEMBER_OF]->(n:Network), (p)-[b:PURCHASED]->(f:Firearm)
WHERE n.network_id = $network_id
OPTIONAL MATCH (d:Dealer)-[:SOLD]->(f)
RETURN p.person_key AS person_key, f.firearm_key AS firearm_key, b.purchase_date AS purchase_date,
       b.multiple_sale AS multiple_sale, b.sale_id AS sale_id, coalesce(d.dealer_key, b.dealer_key) AS dealer_key,
       d.business_name AS business_name, d.license_name AS license_name, d.premise_city AS dealer_city,
       d.premise_state AS dealer_state, d.lat AS dealer_lat, d.lon AS dealer_lon,
       f.manufacturer_normalized AS manufacturer, f.model AS model, f.weapon_type AS weapon_type
ORDER BY purchase_date, person_key, firearm_key, sale_id, dealer_key
