// Recoveries for STIX export (sightings), with the firearm recovered and where.
MATCH (f:Firearm)-[:RECOVERED_IN]->(r:Recovery)
OPTIONAL MATCH (r)-[:AT]->(l:Location)
RETURN r.trace_id AS trace_id, r.request_date AS request_date, r.recovery_date AS recovery_date,
       r.recovery_city AS recovery_city, r.recovery_state AS recovery_state,
       r.recovery_country AS recovery_country, r.lat AS lat, r.lon AS lon, r.crime_code AS crime_code,
       r.agency_ori AS agency_ori, r.agency_name AS agency_name, r.trace_status AS trace_status,
       r.time_to_crime_days AS time_to_crime_days, r.date_added AS date_added, f.firearm_key AS firearm_key, l.location_key AS location_key
ORDER BY trace_id
