// Every straw-queue review decision with the person it is about (api/services/reviews.py orders them).
MATCH (r:Review)-[:REVIEWS]->(p:Person)
RETURN p.person_key AS person_key, r.review_id AS review_id, r.decision AS decision, r.reason AS reason,
       r.by_key_id AS by_key_id, r.by_name AS by_name, r.at AS at, r.straw_score AS straw_score
