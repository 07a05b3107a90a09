// Hub places of one kind (state | city) by flow-graph centrality, strongest first.
MATCH (l:Location)
WHERE l.kind = $kind AND l.pagerank IS NOT NULL
RETURN l.location_key AS location_key, l.name AS name, l.state AS state, l.lat AS lat, l.lon AS lon,
       l.pagerank AS pagerank, l.betweenness AS betweenness
ORDER BY pagerank DESC, location_key
LIMIT $limit
