// The stored straw points and indicators of the persons $keys (an incremental analysis propagates from them).
UNWIND $keys AS k
MATCH (p:Person {person_key: k})
RETURN p.person_key AS key, p.straw_score AS straw_score, p.straw_points AS straw_points,
       p.straw_indicators AS straw_indicators
