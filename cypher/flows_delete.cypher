// Stored FLOW relationships an analysis no longer finds: $rows (src, dst, year, basis) name them
// (algorithms/flow_writes.py: a place that left a level's modelled set, a correction that took a corridor's only
// trace away).
UNWIND $rows AS row
MATCH (a:Location {location_key: row.src})-[f:FLOW]->(b:Location {location_key: row.dst})
WHERE f.year = row.year AND f.basis = row.basis
DELETE f
