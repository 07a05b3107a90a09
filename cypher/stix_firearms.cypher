// Firearms for STIX export, one row per (firearm, seller, purchaser) combination (folded in Python).
MATCH (f:Firearm)
OPTIONAL MATCH (d:Dealer)-[s:SOLD]->(f)
OPTIONAL MATCH (p:Person)-[:PURCHASED]->(f)
RETURN f.firearm_key AS firearm_key, f.serial_number AS serial_number, f.obliterated AS obliterated,
       f.manufacturer AS manufacturer, f.importer AS importer, f.model AS model, f.caliber AS caliber,
       f.weapon_type AS weapon_type, f.country_of_manufacture AS country_of_manufacture, f.date_added AS date_added,
       d.dealer_key AS dealer_key, s.sale_date AS sale_date, p.person_key AS purchaser_key
ORDER BY firearm_key
