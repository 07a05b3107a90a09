// The key of every stored FLOW of one basis (algorithms/flow_writes.py: the stored trace corridors a new fit no
// longer finds, to delete before the fit's flows are written).
MATCH (a:Location)-[f:FLOW]->(b:Location)
WHERE f.basis = $basis
RETURN a.location_key AS src, b.location_key AS dst, f.year AS year, f.level AS level
