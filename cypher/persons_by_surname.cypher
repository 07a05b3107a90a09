// Stored persons whose normalised surname (the part of name_key before '|') is one of $surnames: the only stored
// persons identity resolution can match a batch's mentions to (every rule blocks on the surname), so a daily
// load reads these instead of every person (loaders/entities.py PersonResolver).
MATCH (p:Person)
WHERE list_contains($surnames, split_part(p.name_key, '|', 1))
RETURN p.person_key AS person_key, p.last_name AS last_name, p.first_name AS first_name,
       p.middle_name AS middle_name, p.suffix AS suffix, p.dob AS dob, p.street AS street, p.city AS city,
       p.state AS state, p.zip AS zip, p.name_key AS name_key, p.record_count AS record_count,
       p.resolution_rule AS resolution_rule, p.resolution_confidence AS resolution_confidence
