// The recoveries of the given firearms with what the dealer counts read (algorithms/dealer_counts.py).
UNWIND $keys AS key
MATCH (f:Firearm {firearm_key: key})-[:RECOVERED_IN]->(r:Recovery)
RETURN f.firearm_key AS src, r.trace_id AS dst, r.time_to_crime_days AS time_to_crime_days,
       r.recovery_state AS recovery_state, r.trace_status AS trace_status
