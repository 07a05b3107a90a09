// The straw neighbourhood: the purchasers of guns recovered within $quick_days of the purchase in the cities $keys
// (Location keys), with the purchase record's dealer and the recovery's possessor: the candidates of the
// recovered-together, supply-line and corridor groups.
UNWIND $keys AS k
MATCH (l:Location {location_key: k})
OPTIONAL MATCH (l)<-[:AT]-(r:Recovery)<-[:RECOVERED_IN]-(f:Firearm)<-[u:PURCHASED]-(p:Person)
WHERE r.time_to_crime_days <= $quick_days
OPTIONAL MATCH (r)-[:POSSESSED_BY]->(x:Person)
WITH l.location_key AS location_key, p.person_key AS person_key, r.recovery_city AS recovery_city,
     r.recovery_state AS recovery_state, u.dealer_key AS dealer_key, x.person_key AS possessor_key
WHERE person_key IS NOT NULL
RETURN location_key, person_key, recovery_city, recovery_state, dealer_key, possessor_key
