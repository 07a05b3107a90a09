// Warming (algorithms/warm_up.py): the stored corridor cells the trace lane reads whole (corridor_cells_all).
// Only the pages matter.
MATCH (c:CorridorCell)
RETURN max(c.level) AS level, sum(c.year) AS year, max(c.src) AS src, max(c.dst) AS dst, sum(c.traces) AS traces,
       sum(c.median_ttc_days) AS ttc
