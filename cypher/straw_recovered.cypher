// The straw neighbourhood: the recoveries of the firearms $keys.
UNWIND $keys AS k
MATCH (f:Firearm {firearm_key: k})
OPTIONAL MATCH (f)-[:RECOVERED_IN]->(r:Recovery)
WITH f.firearm_key AS src, r.trace_id AS dst WHERE dst IS NOT NULL
RETURN src, dst
