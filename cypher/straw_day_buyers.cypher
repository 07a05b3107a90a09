// The straw neighbourhood: the persons with a purchase record of a gun a dealer sold, dated on one of the days
// asked for it ($dealers: maps {dealer, days}): the candidates of the joint-purchase groups (every trace and
// multiple-sale load writes the record's dealer and date together with the dealer's SOLD). Each dealer's sales
// are walked once, however many of its days are asked for.
UNWIND $dealers AS d
MATCH (x:Dealer {dealer_key: d.dealer})
OPTIONAL MATCH (x)-[:SOLD]->(f:Firearm)<-[r:PURCHASED]-(p:Person)
WHERE r.purchase_date IN d.days
WITH x.dealer_key AS dealer, r.purchase_date AS day, p.person_key AS person_key WHERE person_key IS NOT NULL
RETURN DISTINCT dealer, day, person_key
