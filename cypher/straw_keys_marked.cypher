// The mark $key when the store holds it: every stored gun is under its straw lookup keys (written by the migration
// and by the first load into a store without purchases, loaders/straw_keys.py).
MATCH (g:StrawKey {straw_key: $key})
RETURN g.straw_key AS straw_key
