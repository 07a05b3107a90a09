// The side table's base (graph/side_table.py): every straw lookup key entry of a quick Recovery
// (loaders/straw_keys.py), in the engine's order (a reader looks them up by index).
MATCH (a:Recovery)-[:IN_STRAW_KEY]->(g:StrawKey)
RETURN a.trace_id AS src, g.straw_key AS dst
