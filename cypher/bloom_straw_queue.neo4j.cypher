// Bloom search phrase "straw queue top $n": the n highest-ranked suspected straw purchasers (the queue's order:
// straw score descending, then person_key; ranks are not stored) with the guns they bought and, where traced, the
// recoveries of those guns.
MATCH (p:Person)
WHERE p.straw_score IS NOT NULL
WITH p ORDER BY p.straw_score DESC, p.person_key ASC LIMIT toInteger($n)
CALL {
  WITH p
  MATCH path = (p)
  RETURN path
  UNION
  WITH p
  MATCH path = (p)-[:PURCHASED]->(:Firearm)
  RETURN path
  UNION
  WITH p
  MATCH path = (p)-[:PURCHASED]->(:Firearm)-[:RECOVERED_IN]->(:Recovery)
  RETURN path
}
RETURN path
