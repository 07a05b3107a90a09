// The persons $keys that exist (Neo4j: no store order to follow; the keys in the order asked).
UNWIND $keys AS k
MATCH (p:Person {person_key: k})
RETURN p.person_key AS key, 0 AS place
