// One stored person, if any (loaders/entities.py blocks_linked: a store without persons is linked by definition).
MATCH (p:Person)
RETURN p.person_key AS person_key
LIMIT 1
