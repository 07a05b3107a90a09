// The firearms with a purchase record and no straw lookup key at all (loaders/straw_keys.py: guns a load left
// unkeyed, keyed again by the migration and the full analysis).
MATCH (:Person)-[:PURCHASED]->(f:Firearm)
WHERE NOT EXISTS { MATCH (f)-[:IN_STRAW_KEY]->(:StrawKey) }
RETURN DISTINCT f.firearm_key AS key
