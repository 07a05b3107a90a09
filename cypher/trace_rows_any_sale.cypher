// Whether the store holds any retail sale (SOLD): the dealer, serial-batch and corridor stages of an incremental
// analysis need one. One row or none.
MATCH (:Dealer)-[:SOLD]->(:Firearm)
RETURN 1 AS found
LIMIT 1
