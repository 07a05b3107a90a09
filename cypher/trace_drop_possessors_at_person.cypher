// trace_drop_possessors bound by key at the possessor instead of both ends (which the engine reads as bound at the
// recovery): inside a day's transaction LadybugDB 0.22 misses a link an earlier file of the day wrote to a person
// added past a node group's first 2,048 new rows (docs/performance.md, fault24); loaders/corrections.py runs both.
UNWIND $rows AS row
MATCH (x:Person {person_key: row.person})<-[e:POSSESSED_BY]-(r:Recovery)
WHERE r.trace_id = row.trace_id
DELETE e
