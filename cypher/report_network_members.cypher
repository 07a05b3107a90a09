// Members of one network with their straw scores and fired indicators (personal data: TLP:RED); their queue ranks
// are derived from every score by the caller (algorithms/straw_rank.py).
MATCH (p:Person)-[:MEMBER_OF]->(n:Network)
WHERE n.network_id = $network_id
RETURN p.person_key AS person_key, p.last_name AS last_name, p.first_name AS first_name,
       p.middle_name AS middle_name, p.dob AS dob, p.city AS city, p.state AS state,
       p.straw_score AS straw_score, p.straw_indicators AS indicators,
       p.record_count AS record_count
ORDER BY person_key
