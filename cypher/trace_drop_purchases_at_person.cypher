// trace_drop_purchases bound by key at the purchaser instead of the gun: inside a day's transaction LadybugDB 0.22
// misses a purchase an earlier file of the day wrote when the table of the end it is not bound at ran past a node
// group's end (the persons here: docs/performance.md, fault24); loaders/corrections.py runs both.
UNWIND $rows AS row
MATCH (p:Person {person_key: row.person})-[u:PURCHASED]->(f:Firearm)
WHERE f.firearm_key = row.firearm AND u.sale_id = row.sale_id
DELETE u
