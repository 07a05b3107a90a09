// The guns recovered in the given traces, with their serial, make, model and stored serial group.
UNWIND $traces AS trace
MATCH (f:Firearm)-[:RECOVERED_IN]->(r:Recovery {trace_id: trace})
RETURN DISTINCT f.firearm_key AS key, f.serial_normalized AS serial_normalized,
       f.manufacturer_normalized AS manufacturer_normalized, f.model AS model, f.serial_group AS serial_group
