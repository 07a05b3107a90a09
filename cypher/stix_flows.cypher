// Corridors (FLOW between locations) for STIX export and GeoJSON (exports.stix_scope.corridor_flows keeps those
// that are corridors).
MATCH (a:Location)-[f:FLOW]->(b:Location)
RETURN a.location_key AS source_key, b.location_key AS destination_key, f.year AS year, f.level AS level,
       f.basis AS basis, f.dataset AS dataset, f.firearms AS firearms, f.expected AS expected, f.score AS score,
       f.z AS z, f.trend AS trend, f.trend_slope AS trend_slope, f.median_ttc_days AS median_ttc_days,
       f.analysis_run_id AS analysis_run_id
ORDER BY source_key, destination_key, year
