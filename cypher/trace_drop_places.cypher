// A corrected trace record's earlier recovery place: $rows (trace_id, location) name AT relationships of the
// recovery the record no longer states (another city or ZIP).
UNWIND $rows AS row
MATCH (r:Recovery {trace_id: row.trace_id})-[e:AT]->(l:Location {location_key: row.location})
DELETE e
