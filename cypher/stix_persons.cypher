// Persons for STIX export with their network membership (policy masking happens in exports/stix.py); the
// stand-ins for purged purchasers (algorithms/retention.py) are not persons and never leave. The queue rank is
// derived from the scores by the caller (algorithms/straw_rank.py), never stored.
MATCH (p:Person)
WHERE p.purged IS NULL OR NOT p.purged
OPTIONAL MATCH (p)-[:MEMBER_OF]->(n:Network)
RETURN p.person_key AS person_key, p.first_name AS first_name, p.middle_name AS middle_name,
       p.last_name AS last_name, p.suffix AS suffix, p.dob AS dob, p.street AS street, p.city AS city,
       p.state AS state, p.zip AS zip, p.straw_score AS straw_score, p.straw_indicators AS straw_indicators,
       p.date_added AS date_added, n.network_id AS network_id
ORDER BY person_key
