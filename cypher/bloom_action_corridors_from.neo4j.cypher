// Bloom scene action "Corridors from this state" on selected Location nodes: the FLOW corridors leaving them.
MATCH (src:Location)
WHERE elementId(src) IN $nodes
MATCH corridor = (src)-[:FLOW]->(:Location)
RETURN corridor
