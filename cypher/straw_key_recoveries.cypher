// The straw lookup keys (loaders/straw_keys.py): the recoveries of the firearms $keys made within $quick_days of the
// purchase, with the city they were made in (its Location).
UNWIND $keys AS k
MATCH (f:Firearm {firearm_key: k})
OPTIONAL MATCH (f)-[:RECOVERED_IN]->(r:Recovery)-[:AT]->(l:Location)
WITH f, r, l WHERE l IS NOT NULL AND l.kind = 'city' AND r.time_to_crime_days <= $quick_days
RETURN f.firearm_key AS firearm_key, r.trace_id AS trace_id, l.location_key AS location_key
