// Bloom scene action "Expand trace chain" on selected Firearm or Recovery nodes ($nodes: their element ids):
// dealer, purchaser, recoveries, possessors and NIBIN links of each firearm. Other selections return nothing.
MATCH (f:Firearm)
WHERE elementId(f) IN $nodes
   OR EXISTS { MATCH (f)-[:RECOVERED_IN]->(x:Recovery) WHERE elementId(x) IN $nodes }
OPTIONAL MATCH sold = (:Dealer)-[:SOLD]->(f)
OPTIONAL MATCH bought = (:Person)-[:PURCHASED]->(f)
OPTIONAL MATCH recovered = (f)-[:RECOVERED_IN]->(r:Recovery)
OPTIONAL MATCH possessed = (r)-[:POSSESSED_BY]->(:Person)
OPTIONAL MATCH nibin = (r)-[:NIBIN_LINK]-(:Recovery)
RETURN f, sold, bought, recovered, possessed, nibin
