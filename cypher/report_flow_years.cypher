// The years that have corridors of one level and source.
MATCH (:Location)-[f:FLOW]->(:Location)
WHERE f.level = $level AND f.source = $source
RETURN DISTINCT f.year AS year
ORDER BY year
