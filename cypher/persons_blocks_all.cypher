// Every stored person's identity-resolution blocks, for linking them to PersonBlock nodes once (the migration,
// loaders/entities.py link_person_blocks).
MATCH (p:Person)
RETURN p.person_key AS person_key, p.block_dob AS block_dob, p.block_street AS block_street
