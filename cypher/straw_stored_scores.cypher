// The stored straw points, indicators and network sums of the persons $keys (an incremental analysis propagates
// from them and moves the network sums of their partners by the change of their points), and the run that wrote
// them (with these, the rows the write back updates: it is handed them instead of reading them again).
UNWIND $keys AS k
MATCH (p:Person {person_key: k})
RETURN p.person_key AS key, p.straw_score AS straw_score, p.straw_points AS straw_points,
       p.straw_indicators AS straw_indicators, p.straw_network AS straw_network,
       p.analysis_run_id AS analysis_run_id
