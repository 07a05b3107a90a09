// The straw neighbourhood: the persons named on multiple-sale records of guns the dealers $keys sold (the
// candidates of a same-counter group).
UNWIND $keys AS k
MATCH (x:Dealer {dealer_key: k})
OPTIONAL MATCH (x)-[:SOLD]->(f:Firearm)<-[r:PURCHASED]-(p:Person)
WHERE r.multiple_sale AND r.report_id IS NOT NULL
WITH x.dealer_key AS dealer, p.person_key AS person_key WHERE person_key IS NOT NULL
RETURN DISTINCT dealer, person_key
