// Every stored FLOW of one basis ($basis), before an analysis writes its models' flows of that basis whole
// (algorithms/flow_writes.py): the stored corridors of the basis are then exactly the models' own, a corridor the
// models no longer hold (a place that left a level's modelled set, a correction that took a corridor's only trace
// away) gone with the rest. The other bases' corridors (loaded tables) stay.
MATCH (a:Location)-[f:FLOW]->(b:Location)
WHERE f.basis = $basis
DELETE f
