// The side table's base (graph/side_table.py): every straw lookup key entry of a Firearm (loaders/straw_keys.py), in
// the engine's order (a reader looks them up by index).
MATCH (a:Firearm)-[:IN_STRAW_KEY]->(g:StrawKey)
RETURN a.firearm_key AS src, g.straw_key AS dst
