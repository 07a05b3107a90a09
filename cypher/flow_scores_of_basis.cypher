// The stored score of every corridor of one level and basis (algorithms/alerts.trace_leads: which state-level trace
// corridors were significant before the incremental write back). Those rows only, not every FLOW with its level
// and basis to filter by (national batch 1: 10k of 38k flows, ~0.03 against ~0.11 CPU s with the Python dict).
MATCH (a:Location)-[f:FLOW]->(b:Location)
WHERE f.level = $level AND f.basis = $basis
RETURN a.location_key AS src, b.location_key AS dst, f.year AS year, f.score AS score
