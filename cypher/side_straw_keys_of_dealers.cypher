// The side table's base (graph/side_table.py): every straw lookup key entry of a Dealer (loaders/straw_keys.py), in
// the engine's order (a reader looks them up by index).
MATCH (a:Dealer)-[:IN_STRAW_KEY]->(g:StrawKey)
RETURN a.dealer_key AS src, g.straw_key AS dst
