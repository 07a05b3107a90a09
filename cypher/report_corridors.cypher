// Corridors of one level for the reports, every year or one ($year < 0 = all), with both ends' states.
MATCH (a:Location)-[f:FLOW]->(b:Location)
WHERE f.level = $level AND f.source = $source AND ($year < 0 OR f.year = $year)
RETURN a.location_key AS source, b.location_key AS destination, a.name AS source_name,
       b.name AS destination_name, a.state AS source_state, b.state AS destination_state,
       a.country AS source_country, b.country AS destination_country, f.year AS year, f.firearms AS firearms,
       f.expected AS expected, f.score AS score, f.z AS z, f.trend AS trend, f.median_ttc_days AS median_ttc_days,
       f.analysis_run_id AS analysis_run_id, a.lat AS source_lat, a.lon AS source_lon, b.lat AS destination_lat,
       b.lon AS destination_lon
ORDER BY score DESC, year DESC, source, destination
