// One detected network.
MATCH (n:Network)
WHERE n.network_id = $network_id
RETURN n.network_id AS network_id, n.size AS size, n.score AS score, n.algorithm AS algorithm,
       n.resolution AS resolution, n.analysis_run_id AS analysis_run_id
