// Warming (algorithms/warm_up.py): the stored straw points, indicators, network sums and run ids of every person,
// which the incremental analysis' straw stage reads by key (straw_stored_scores). Only the pages matter.
MATCH (p:Person)
RETURN sum(p.straw_points) AS points, sum(p.straw_network) AS network, sum(p.straw_score) AS score,
       max(p.straw_indicators) AS indicators, max(p.analysis_run_id) AS run
