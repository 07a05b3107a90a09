// The premises places stored for the dealers $dealer_keys (an FFL list read before it is written): a dealer whose
// premises moved keeps only the new city and ZIP (loaders/corrections.py). The read starts at the dealer and expands
// with OPTIONAL MATCH: a pattern matching the dealer and its places at once was planned as a scan of every AT
// relationship (LadybugDB 0.22; cypher/sale_versions.cypher).
UNWIND $dealer_keys AS k
MATCH (d:Dealer {dealer_key: k})
OPTIONAL MATCH (d)-[a:AT]->(l:Location)
WITH d.dealer_key AS dealer_key, l.location_key AS location_key, a.precision AS precision
WHERE location_key IS NOT NULL
RETURN dealer_key, location_key, precision
