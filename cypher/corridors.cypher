// Corridors of one level and source, ranked by significance; $year < 0 means every year.
MATCH (a:Location)-[f:FLOW]->(b:Location)
WHERE f.level = $level AND f.source = $source AND ($year < 0 OR f.year = $year)
RETURN a.location_key AS source, b.location_key AS destination, a.name AS source_name,
       b.name AS destination_name, f.year AS year, f.firearms AS firearms, f.expected AS expected,
       f.score AS score, f.z AS z, f.trend AS trend, f.median_ttc_days AS median_ttc_days,
       a.lat AS source_lat, a.lon AS source_lon, b.lat AS destination_lat, b.lon AS destination_lon
ORDER BY score DESC, year DESC, source, destination
LIMIT $limit
