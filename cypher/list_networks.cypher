// Every detected network with what the network list shows.
// Ordered and ranked in one place, api/services/ranking.py (score descending, network_id ascending).
MATCH (n:Network)
RETURN n.network_id AS network_id, n.size AS size, n.score AS score, n.algorithm AS algorithm,
       n.reviewable AS reviewable, n.review_rank AS review_rank, n.suspects AS suspects, n.reason AS reason
