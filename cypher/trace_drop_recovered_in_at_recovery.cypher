// trace_drop_recovered_in bound by key at the recovery instead of both ends (which the engine reads as bound at the
// gun): inside a day's transaction LadybugDB 0.22 misses a link an earlier file of the day wrote to a recovery
// added past a node group's first 2,048 new rows (docs/performance.md, fault24); loaders/corrections.py runs both.
UNWIND $rows AS row
MATCH (r:Recovery {trace_id: row.trace_id})<-[e:RECOVERED_IN]-(f:Firearm)
WHERE f.firearm_key = row.firearm
DELETE e
