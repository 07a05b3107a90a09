// Every sale row of the firearms the given dealers sold (all of each gun's SOLD rows: its first sale decides
// which dealer its traces count for): the rows an incremental analysis recounts the dealers' counts from.
MATCH (d:Dealer)-[:SOLD]->(g:Firearm)
WHERE d.dealer_key IN $dealer_keys
WITH DISTINCT g
MATCH (x:Dealer)-[s:SOLD]->(g)
RETURN x.dealer_key AS src, g.firearm_key AS dst, s.sale_date AS sale_date
