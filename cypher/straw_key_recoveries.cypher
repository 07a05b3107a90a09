// The straw lookup keys (loaders/straw_keys.py): the recoveries of the firearms $keys made within $quick_days of the
// purchase, with the city they were made in (its Location).
UNWIND $keys AS k
MATCH (f:Firearm {firearm_key: k})
OPTIONAL MATCH (f)-[:RECOVERED_IN]->(r:Recovery)-[:AT]->(l:Location)
WITH f.firearm_key AS firearm_key, r.trace_id AS trace_id, l.location_key AS location_key, l.kind AS kind,
     r.time_to_crime_days AS ttc
WHERE location_key IS NOT NULL AND kind = 'city' AND ttc <= $quick_days
RETURN firearm_key, trace_id, location_key
