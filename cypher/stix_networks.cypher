// Trafficking networks for STIX export (threat-actor objects).
MATCH (n:Network)
RETURN n.network_id AS network_id, n.size AS size, n.score AS score, n.algorithm AS algorithm,
       n.resolution AS resolution, n.analysis_run_id AS analysis_run_id, n.date_added AS date_added
ORDER BY network_id
