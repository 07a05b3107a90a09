// Bloom search phrase "network of purchaser $name": the person (matched by last name, case-insensitive, or by
// person_key), their purchases, the networks they belong to with every member, and what the members bought.
// One path per row (UNION inside CALL) so the parts do not multiply; the zero-length path keeps a person who has
// neither network nor purchase.
MATCH (p:Person)
WHERE toLower(p.last_name) = toLower($name) OR p.person_key = $name
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
  MATCH path = (p)-[:MEMBER_OF]->(:Network)<-[:MEMBER_OF]-(:Person)
  RETURN path
  UNION
  WITH p
  MATCH path = (p)-[:MEMBER_OF]->(:Network)<-[:MEMBER_OF]-(:Person)-[:PURCHASED]->(:Firearm)
  RETURN path
}
RETURN path
LIMIT 2000
