// Stored persons whose identity-resolution blocks were never computed (a store written before Person.block_dob
// and block_street existed): loaders/entities.py backfill_person_blocks computes them.
MATCH (p:Person)
WHERE p.block_dob IS NULL
RETURN p.person_key AS person_key, p.last_name AS last_name, p.first_name AS first_name,
       p.middle_name AS middle_name, p.suffix AS suffix, p.dob AS dob, p.street AS street, p.city AS city,
       p.state AS state, p.zip AS zip
