// The straw neighbourhood on a keyed store: the purchasers of the guns under the straw lookup keys $keys (a
// dealer-day's or a dealer's multiple-sale counter's candidates, loaders/straw_keys.py), read by the keys' own index
// instead of walking every sale of the dealer.
UNWIND $keys AS k
MATCH (g:StrawKey {straw_key: k})
OPTIONAL MATCH (g)<-[:IN_STRAW_KEY]-(f:Firearm)<-[:PURCHASED]-(p:Person)
WITH g.straw_key AS straw_key, p.person_key AS person_key WHERE person_key IS NOT NULL
RETURN DISTINCT straw_key, person_key
