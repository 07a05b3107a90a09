// A corrected trace record's earlier possessor: $rows (trace_id, person) name POSSESSED_BY relationships the record
// no longer states.
UNWIND $rows AS row
MATCH (r:Recovery {trace_id: row.trace_id})-[e:POSSESSED_BY]->(x:Person {person_key: row.person})
DELETE e
