// The dealers stored as inspected in each inspection $inspection_ids already in the store (a re-load; none for new
// inspections), for the inspections loader to compare with the version being loaded (loaders/corrections.py).
UNWIND $inspection_ids AS id
MATCH (d:Dealer)-[:INSPECTED]->(i:Inspection {inspection_id: id})
RETURN id AS inspection_id, d.dealer_key AS dealer_key
