// A dealer's earlier premises place: $rows (dealer, location) name AT relationships its latest FFL list row no
// longer states (the premises moved, or an earlier list row was corrected).
UNWIND $rows AS row
MATCH (d:Dealer {dealer_key: row.dealer})-[a:AT]->(l:Location {location_key: row.location})
DELETE a
