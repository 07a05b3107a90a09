// Networks worth reviewing (they pass the minimum evidence rule), in review order, with their reasons.
MATCH (n:Network)
WHERE n.reviewable = true
RETURN n.review_rank AS review_rank, n.network_id AS network_id, n.size AS size, n.suspects AS suspects,
       n.score AS score, n.reason AS reason
ORDER BY review_rank, network_id
