// The straw neighbourhood on a keyed store: as straw_city_buyers, the purchasers of guns recovered within
// $quick_days of the purchase, but only those recovered under the supply-line keys $keys
// (sl|<dealer>|<city location>, loaders/straw_keys.py) instead of every recovery in the city.
UNWIND $keys AS k
MATCH (g:StrawKey {straw_key: k})
OPTIONAL MATCH (g)<-[:IN_STRAW_KEY]-(r:Recovery)<-[:RECOVERED_IN]-(f:Firearm)<-[u:PURCHASED]-(p:Person)
WHERE r.time_to_crime_days <= $quick_days
OPTIONAL MATCH (r)-[:POSSESSED_BY]->(x:Person)
WITH g.straw_key AS straw_key, p.person_key AS person_key, r.recovery_city AS recovery_city,
     r.recovery_state AS recovery_state, u.dealer_key AS dealer_key, x.person_key AS possessor_key
WHERE person_key IS NOT NULL
RETURN straw_key, person_key, recovery_city, recovery_state, dealer_key, possessor_key
