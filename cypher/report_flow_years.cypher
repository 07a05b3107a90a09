// The years and bases that have corridors of one level.
MATCH (:Location)-[f:FLOW]->(:Location)
WHERE f.level = $level
RETURN DISTINCT f.year AS year, f.basis AS basis
ORDER BY year, basis
