// The dealers that sold any of the given firearms (an incremental analysis recounts these dealers' counts).
UNWIND $keys AS key
MATCH (d:Dealer)-[:SOLD]->(f:Firearm {firearm_key: key})
RETURN DISTINCT d.dealer_key AS key
