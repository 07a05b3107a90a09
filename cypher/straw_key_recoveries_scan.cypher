// The straw lookup keys (loaders/straw_keys.py): straw_key_recoveries' rows by a MATCH (straw_key_purchases_scan).
UNWIND $keys AS k
MATCH (f:Firearm {firearm_key: k})-[:RECOVERED_IN]->(r:Recovery)-[:AT]->(l:Location)
WHERE l.kind = 'city' AND r.time_to_crime_days <= $quick_days
RETURN f.firearm_key AS firearm_key, r.trace_id AS trace_id, l.location_key AS location_key
