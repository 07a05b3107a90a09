// How many stored persons have no identity-resolution blocks yet (loaders/entities.py: 0 once `tracegraph init` has
// computed them, and then a load never scans persons by surname).
MATCH (p:Person)
WHERE p.block_dob IS NULL
RETURN count(p) AS n
