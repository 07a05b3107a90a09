// Every scored person with what the straw queue shows; network from MEMBER_OF (the membership fact).
// Ordered and ranked in one place, api/services/ranking.py (score descending, person_key ascending).
MATCH (p:Person)
WHERE p.straw_score IS NOT NULL
OPTIONAL MATCH (p)-[:MEMBER_OF]->(n:Network)
RETURN p.person_key AS person_key, p.last_name AS last_name, p.first_name AS first_name, p.dob AS dob,
       p.state AS state, p.straw_score AS straw_score, p.straw_indicators AS straw_indicators,
       n.network_id AS network_id
