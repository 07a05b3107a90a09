// The guns recovered in the given traces, with their serial, make, model and stored serial group: each recovery by
// its key, its guns through RECOVERED_IN (matching the pattern on the UNWIND variable is planned as a join over
// every RECOVERED_IN relationship: ~1 CPU s at 1M traces).
UNWIND $traces AS trace
MATCH (r:Recovery {trace_id: trace})
OPTIONAL MATCH (f:Firearm)-[:RECOVERED_IN]->(r)
WITH DISTINCT f.firearm_key AS key, f.serial_normalized AS serial_normalized,
     f.manufacturer_normalized AS manufacturer_normalized, f.model AS model, f.serial_group AS serial_group
WHERE key IS NOT NULL
RETURN key, serial_normalized, manufacturer_normalized, model, serial_group
