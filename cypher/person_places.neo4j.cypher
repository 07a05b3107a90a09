// Every person (Neo4j: no store order to follow, and no side table keeps it).
MATCH (p:Person)
RETURN p.person_key AS key, 0 AS place
