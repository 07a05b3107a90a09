// Dealers (federal firearms licensees) for STIX export, with their premises location.
MATCH (d:Dealer)
OPTIONAL MATCH (d)-[:AT]->(l:Location)
RETURN d.dealer_key AS dealer_key, d.license_number AS license_number, d.license_name AS license_name,
       d.business_name AS business_name, d.license_type_name AS license_type_name,
       d.premise_city AS premise_city, d.premise_state AS premise_state, d.lat AS lat, d.lon AS lon,
       d.status AS status, d.last_verified_date AS last_verified_date, d.date_added AS date_added, l.location_key AS location_key
ORDER BY dealer_key
