// Persons in detected networks (the full partition), reviewable and highest-scoring networks first.
MATCH (p:Person)-[:MEMBER_OF]->(n:Network)
RETURN p.person_key AS person_key, p.last_name AS last_name, p.first_name AS first_name, p.dob AS dob,
       n.network_id AS network_id, n.size AS network_size, n.score AS network_score,
       n.reviewable AS network_reviewable, p.straw_score AS straw_score
ORDER BY network_reviewable DESC, network_score DESC, network_id, straw_score DESC, person_key
