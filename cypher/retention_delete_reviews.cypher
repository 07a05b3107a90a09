// A purged person's straw-queue review decisions go with them (their reasons may name the person); run before
// retention_delete_persons, while the REVIEWS relationships still lead to them.
MATCH (r:Review)-[:REVIEWS]->(p:Person)
WHERE p.person_key IN $keys
DETACH DELETE r
