// A corrected inspection report's violations: $rows (inspection_id, violation_id) name violations an earlier version
// of the report listed inline and the report loaded now no longer lists. Such a violation is the report's own
// (keyed <inspection_id>:<27 CFR section>), so it goes with its citation.
UNWIND $rows AS row
MATCH (i:Inspection {inspection_id: row.inspection_id})-[:CITED]->(v:Violation {violation_id: row.violation_id})
DETACH DELETE v
