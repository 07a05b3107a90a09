// Scored persons without a stored network sum (Person.straw_network; a store analysed before it existed): the
// migration (algorithms/incremental.py fill_straw_network) computes theirs.
MATCH (p:Person)
WHERE p.straw_score IS NOT NULL AND p.straw_network IS NULL
RETURN p.person_key AS key, p.straw_score AS straw_score, p.straw_points AS straw_points,
       p.straw_indicators AS straw_indicators
