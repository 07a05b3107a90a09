// Bloom search phrase "straw queue top $n": the n highest-ranked suspected straw purchasers (straw_rank 1 is the
// strongest) with the guns they bought and, where traced, the recoveries of those guns.
MATCH (p:Person)
WHERE p.straw_rank IS NOT NULL AND p.straw_rank <= toInteger($n)
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
