// The straw neighbourhood on a keyed store: the dealers with a quick recovery in the cities $keys (Location keys;
// loaders/straw_keys.py ql|<city>).
UNWIND $keys AS k
MATCH (g:StrawKey {straw_key: 'ql|' + k})
OPTIONAL MATCH (g)<-[:IN_STRAW_KEY]-(d:Dealer)
WITH k AS location_key, d.dealer_key AS dealer_key WHERE dealer_key IS NOT NULL
RETURN location_key, dealer_key
