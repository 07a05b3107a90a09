// Whether the store holds any purchase record: one row if so, none otherwise (loaders/straw_keys.py: a store
// without purchases has every gun keyed by definition).
MATCH (:Person)-[r:PURCHASED]->(:Firearm)
RETURN 1 AS found
LIMIT 1
