// theft_drop_guns bound by key at the report instead of both ends (which the engine reads as bound at the gun):
// inside a day's transaction LadybugDB 0.22 misses a gun an earlier file of the day named for a report added past a
// node group's first 2,048 new rows (docs/performance.md, fault24); loaders/corrections.py runs both.
UNWIND $rows AS row
MATCH (t:TheftReport {report_id: row.report_id})<-[e:REPORTED_STOLEN]-(f:Firearm)
WHERE f.firearm_key = row.firearm
DELETE e
