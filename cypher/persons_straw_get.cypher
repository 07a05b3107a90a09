// Stored straw points, score and indicators of the given persons (an incremental analysis propagates from the
// unchanged persons tied to the rescored ones: those alone, not every person, are read).
UNWIND $keys AS key
MATCH (p:Person {person_key: key})
RETURN p.person_key AS key, p.straw_score AS straw_score, p.straw_points AS straw_points,
       p.straw_indicators AS straw_indicators
