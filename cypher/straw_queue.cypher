// The straw-purchaser review queue, best first (written back by `tracegraph analyze`).
MATCH (p:Person)
WHERE p.straw_rank IS NOT NULL AND p.straw_rank <= $limit
RETURN p.straw_rank AS rank, p.person_key AS person_key, p.last_name AS last_name, p.first_name AS first_name,
       p.dob AS dob, p.state AS state, p.straw_score AS score, p.straw_indicators AS indicators,
       p.network_id AS network_id
ORDER BY rank
