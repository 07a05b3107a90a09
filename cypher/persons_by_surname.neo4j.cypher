// Stored persons whose normalised surname (the part of name_key before '|') is one of $surnames: the only stored
// persons identity resolution can match a batch's mentions to (loaders/entities.py PersonResolver).
MATCH (p:Person)
WHERE split(p.name_key, '|')[0] IN $surnames
RETURN p.person_key AS person_key, p.last_name AS last_name, p.first_name AS first_name,
       p.middle_name AS middle_name, p.suffix AS suffix, p.dob AS dob, p.street AS street, p.city AS city,
       p.state AS state, p.zip AS zip, p.name_key AS name_key, p.record_count AS record_count,
       p.resolution_rule AS resolution_rule, p.resolution_confidence AS resolution_confidence
