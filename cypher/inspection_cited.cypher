// The violations stored as cited by each inspection $inspection_ids already in the store (a re-load; none for new
// inspections), for the inspections loader to compare with a report that lists its violations inline
// (loaders/corrections.py).
UNWIND $inspection_ids AS id
MATCH (i:Inspection {inspection_id: id})-[:CITED]->(v:Violation)
RETURN id AS inspection_id, v.violation_id AS violation_id
