// The straw neighbourhood: who bought the firearms $keys.
UNWIND $keys AS k
MATCH (f:Firearm {firearm_key: k})
OPTIONAL MATCH (p:Person)-[:PURCHASED]->(f)
WITH p.person_key AS key WHERE key IS NOT NULL
RETURN DISTINCT key
