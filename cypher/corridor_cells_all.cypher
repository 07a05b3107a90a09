// Every stored corridor cell without its key or histogram, in the engine's order (an incremental analysis adds the
// new traces' cells to these and refits the corridor models over them; algorithms/corridor_cells.flows orders them).
MATCH (c:CorridorCell)
RETURN c.level AS level, c.year AS year, c.src AS src, c.dst AS dst, c.traces AS traces,
       c.median_ttc_days AS median_ttc_days
