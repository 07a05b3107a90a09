// The straw neighbourhood: who bought the firearms $keys.
UNWIND $keys AS k
MATCH (f:Firearm {firearm_key: k})
OPTIONAL MATCH (p:Person)-[:PURCHASED]->(f)
WITH p WHERE p IS NOT NULL
RETURN DISTINCT p.person_key AS key
