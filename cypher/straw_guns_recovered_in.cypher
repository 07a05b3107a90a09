// The straw neighbourhood: the firearms recovered in the recoveries $keys.
UNWIND $keys AS k
MATCH (r:Recovery {trace_id: k})
OPTIONAL MATCH (f:Firearm)-[:RECOVERED_IN]->(r)
WITH f.firearm_key AS src, r.trace_id AS dst WHERE src IS NOT NULL
RETURN src, dst
