// The straw neighbourhood: the persons with a purchase record of a gun a dealer sold, dated on a day ($days:
// maps {dealer, day}): the candidates of a joint-purchase group (every trace and multiple-sale load writes the
// record's dealer and date together with the dealer's SOLD).
UNWIND $days AS d
MATCH (x:Dealer {dealer_key: d.dealer})
OPTIONAL MATCH (x)-[:SOLD]->(f:Firearm)<-[r:PURCHASED]-(p:Person)
WHERE r.purchase_date = d.day
WITH d, p WHERE p IS NOT NULL
RETURN DISTINCT d.dealer AS dealer, d.day AS day, p.person_key AS person_key
