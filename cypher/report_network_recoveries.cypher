// Recoveries of guns bought by the members of one network, with the possessor where known.
MATCH (p:Person)-[:MEMBER_OF]->(n:Network), (p)-[:PURCHASED]->(f:Firearm)-[:RECOVERED_IN]->(r:Recovery)
WHERE n.network_id = $network_id
OPTIONAL MATCH (r)-[:POSSESSED_BY]->(q:Person)
RETURN DISTINCT r.trace_id AS trace_id, f.firearm_key AS firearm_key, p.person_key AS purchaser_key,
       r.recovery_date AS recovery_date, r.recovery_city AS city, r.recovery_state AS state,
       r.recovery_country AS country, r.lat AS lat, r.lon AS lon, r.time_to_crime_days AS ttc_days,
       r.crime_code AS crime_code, q.person_key AS possessor_key
ORDER BY recovery_date, trace_id
