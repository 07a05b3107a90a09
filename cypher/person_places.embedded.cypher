// Every person with where it is stored (its node offset): kept beside the side table's persons (graph/side_table.py),
// so that an incremental run puts the persons whose stored scores it reads in store order without asking the store
// (algorithms/store_order.py).
MATCH (p:Person)
RETURN p.person_key AS key, offset(ID(p)) AS place
