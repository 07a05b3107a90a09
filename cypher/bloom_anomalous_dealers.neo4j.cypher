// Bloom search phrase "anomalous dealers in $state": the 25 dealers of a state with the highest anomaly score
// (traces above what peers of the same exposure predict) and the guns they sold that were traced.
MATCH (d:Dealer)
WHERE d.premise_state = toUpper($state) AND d.anomaly_score IS NOT NULL
WITH d ORDER BY d.anomaly_score DESC LIMIT 25
OPTIONAL MATCH traced = (d)-[:SOLD]->(:Firearm)-[:RECOVERED_IN]->(:Recovery)
RETURN d, traced
