// Does a person exist, and their straw score (a review records the score it was decided on).
MATCH (p:Person)
WHERE p.person_key = $person_key
RETURN p.person_key AS person_key, p.straw_score AS straw_score
