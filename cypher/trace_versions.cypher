// The stored version of each trace record in $ids that is already in the store (a re-load; none for new records):
// one row per combination of its gun, purchase, possessor and places, for the traces loader to compare with the
// version being loaded (loaders/traces.py: a corrected record replaces its relationships, not adds to them).
UNWIND $ids AS id
MATCH (r:Recovery {trace_id: id})
OPTIONAL MATCH (f:Firearm)-[:RECOVERED_IN]->(r)
OPTIONAL MATCH (p:Person)-[u:PURCHASED]->(f)
WHERE u.sale_id = 'trace:' + id
OPTIONAL MATCH (r)-[:POSSESSED_BY]->(x:Person)
OPTIONAL MATCH (r)-[:AT]->(l:Location)
RETURN id AS trace_id, f.firearm_key AS firearm_key, p.person_key AS purchaser_key, u.purchase_date AS purchase_date,
       u.dealer_key AS dealer_key, x.person_key AS possessor_key, l.location_key AS location_key,
       r.time_to_crime_days AS time_to_crime_days, r.recovery_city AS recovery_city,
       r.recovery_state AS recovery_state, r.multiple_sale_report_id AS report_id
