// The full chain of one firearm: who sold it, who bought it, where it was recovered and from whom, and the
// NIBIN leads that tie its recoveries to others. One row (none if the firearm does not exist); each list holds
// maps, one per relationship; OPTIONAL MATCHes that find nothing leave one all-null map (callers drop those).
// Portable: runs unchanged on Kùzu 0.11 (maps become STRUCTs) and Neo4j 5.
MATCH (f:Firearm {firearm_key: $firearm_key})
OPTIONAL MATCH (d:Dealer)-[s:SOLD]->(f)
WITH f, collect({dealer_key: d.dealer_key, license_number: d.license_number, business_name: d.business_name,
                 premise_city: d.premise_city, premise_state: d.premise_state, sale_date: s.sale_date}) AS sales
OPTIONAL MATCH (p:Person)-[pu:PURCHASED]->(f)
WITH f, sales, collect({person_key: p.person_key, last_name: p.last_name, first_name: p.first_name,
                        dob: p.dob, sale_id: pu.sale_id, purchase_date: pu.purchase_date,
                        dealer_key: pu.dealer_key, multiple_sale: pu.multiple_sale, report_id: pu.report_id,
                        source: pu.source}) AS purchases
OPTIONAL MATCH (f)-[:RECOVERED_IN]->(r:Recovery)
OPTIONAL MATCH (r)-[:POSSESSED_BY]->(x:Person)
WITH f, sales, purchases, collect({trace_id: r.trace_id, recovery_date: r.recovery_date,
                                   recovery_city: r.recovery_city, recovery_state: r.recovery_state,
                                   crime_code: r.crime_code, time_to_crime_days: r.time_to_crime_days,
                                   reported_stolen: r.reported_stolen, stolen_report_id: r.stolen_report_id,
                                   possessor_key: x.person_key, possessor_last_name: x.last_name,
                                   possessor_first_name: x.first_name, possessor_dob: x.dob}) AS recoveries
OPTIONAL MATCH (f)-[:RECOVERED_IN]->(r1:Recovery)-[n:NIBIN_LINK]-(r2:Recovery)
WITH f, sales, purchases, recoveries, collect({trace_id: r1.trace_id, linked_trace_id: r2.trace_id,
                                               lead_id: n.lead_id, lead_date: n.lead_date,
                                               status: n.status}) AS nibin_links
RETURN f.firearm_key AS firearm_key, f.serial_number AS serial_number, f.manufacturer AS manufacturer,
       f.model AS model, f.caliber AS caliber, f.weapon_type AS weapon_type, f.obliterated AS obliterated,
       sales, purchases, recoveries, nibin_links
