// The premises places stored for the dealers $dealer_keys (an FFL list read before it is written): a dealer whose
// premises moved keeps only the new city and ZIP (loaders/corrections.py).
UNWIND $dealer_keys AS k
MATCH (d:Dealer {dealer_key: k})-[a:AT]->(l:Location)
RETURN d.dealer_key AS dealer_key, l.location_key AS location_key, a.precision AS precision
