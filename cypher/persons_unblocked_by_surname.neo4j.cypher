// Stored persons not yet given identity-resolution blocks (a store written before Person.block_dob existed and
// not yet through `tracegraph init`) whose normalised surname is one of $surnames: a load reads these besides
// persons_by_blocks, so such a store resolves alike, only more slowly (loaders/entities.py PersonResolver).
MATCH (p:Person)
WHERE p.block_dob IS NULL AND split(p.name_key, '|')[0] IN $surnames
RETURN p.person_key AS person_key, p.last_name AS last_name, p.first_name AS first_name,
       p.middle_name AS middle_name, p.suffix AS suffix, p.dob AS dob, p.street AS street, p.city AS city,
       p.state AS state, p.zip AS zip, p.record_count AS record_count
