// Locations for STIX export and GeoJSON (hubs carry pagerank / betweenness).
MATCH (l:Location)
RETURN l.location_key AS location_key, l.kind AS kind, l.name AS name, l.state AS state, l.country AS country,
       l.lat AS lat, l.lon AS lon, l.pagerank AS pagerank, l.betweenness AS betweenness,
       l.date_added AS date_added
ORDER BY location_key
