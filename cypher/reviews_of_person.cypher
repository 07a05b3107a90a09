// One person's straw-queue review decisions (api/services/reviews.py orders them, newest first).
MATCH (r:Review)-[:REVIEWS]->(p:Person)
WHERE p.person_key = $person_key
RETURN p.person_key AS person_key, r.review_id AS review_id, r.decision AS decision, r.reason AS reason,
       r.by_key_id AS by_key_id, r.by_name AS by_name, r.at AS at, r.straw_score AS straw_score
