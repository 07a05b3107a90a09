// Recoveries not yet traced: the firearm has no selling dealer (SOLD) and no recorded purchase (PURCHASED); with
// what ATF Form 3312.1 asks for. A recovery with several possessors gives several rows (the caller keeps one).
MATCH (f:Firearm)-[:RECOVERED_IN]->(r:Recovery)
WHERE NOT EXISTS { MATCH (:Dealer)-[:SOLD]->(f) } AND NOT EXISTS { MATCH (:Person)-[:PURCHASED]->(f) }
OPTIONAL MATCH (r)-[:POSSESSED_BY]->(p:Person)
RETURN r.trace_id AS trace_id, r.recovery_date AS recovery_date, r.recovery_street AS recovery_street,
       r.recovery_city AS recovery_city, r.recovery_state AS recovery_state, r.recovery_zip AS recovery_zip,
       r.recovery_country AS recovery_country, r.crime_code AS crime_code, r.agency_ori AS agency_ori,
       r.agency_name AS agency_name, f.firearm_key AS firearm_key, f.manufacturer AS manufacturer,
       f.model AS model, f.caliber AS caliber, f.weapon_type AS weapon_type, f.serial_number AS serial_number,
       f.obliterated AS obliterated, f.importer AS importer, f.country_of_manufacture AS country_of_manufacture,
       f.reported_stolen AS reported_stolen, p.last_name AS possessor_last_name,
       p.first_name AS possessor_first_name, p.dob AS possessor_dob
ORDER BY recovery_date, trace_id
