// Every FLOW of one level ($level = '' for every level) with both ends' names, states and points. Filtering and
// ranking are algorithms.corridor_query's, the same for the CLI, the API, the reports and the exports.
MATCH (a:Location)-[f:FLOW]->(b:Location)
WHERE $level = '' OR f.level = $level
RETURN a.location_key AS src, b.location_key AS dst, a.name AS src_name, b.name AS dst_name,
       a.state AS src_state, b.state AS dst_state, a.country AS src_country, b.country AS dst_country,
       f.year AS year, f.level AS level, f.basis AS basis, f.dataset AS dataset, f.firearms AS firearms,
       f.expected AS expected, f.score AS score, f.z AS z, f.trend AS trend, f.trend_slope AS trend_slope,
       f.median_ttc_days AS median_ttc_days, f.analysis_run_id AS analysis_run_id, a.lat AS src_lat,
       a.lon AS src_lon, b.lat AS dst_lat, b.lon AS dst_lon
