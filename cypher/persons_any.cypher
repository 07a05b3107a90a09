// Whether the store holds any person: one row if so, none otherwise (loaders/entities.py blocks_linked: a store
// without persons is linked by definition). A constant, not a key: which person comes first is the store's choice.
MATCH (p:Person)
RETURN 1 AS found
LIMIT 1
