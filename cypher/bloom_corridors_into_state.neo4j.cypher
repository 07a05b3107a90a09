// Bloom search phrase "corridors into $state": FLOW corridors ending at a state, most significant first (unscored
// ones last). $state is the two-letter code, the state's name or its location_key ('state:US-VA').
MATCH (dst:Location {kind: 'state'})
WHERE dst.state = toUpper($state) OR toLower(dst.name) = toLower($state) OR dst.location_key = $state
MATCH corridor = (:Location)-[f:FLOW]->(dst)
WITH corridor, f
ORDER BY f.score IS NULL, f.score DESC, f.firearms DESC
LIMIT 200
RETURN corridor
