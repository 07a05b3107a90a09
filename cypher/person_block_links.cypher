// Every stored person -> block link (the migration, loaders/entities.py link_person_blocks: only the missing
// ones are written).
MATCH (p:Person)-[:IN_BLOCK]->(b:PersonBlock)
RETURN p.person_key AS from_key, b.block_key AS to_key
