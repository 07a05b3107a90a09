// nibin_drop_links bound by key at the lead's second recovery instead of both ends (which the engine reads as bound
// at the first): inside a day's transaction LadybugDB 0.22 misses a link an earlier file of the day wrote to a
// recovery added past a node group's first 2,048 new rows (docs/performance.md, fault24); loaders/corrections.py
// runs both. A link between two such recoveries is missed by both (left: the same section).
UNWIND $rows AS row
MATCH (b:Recovery {trace_id: row.to_key})<-[n:NIBIN_LINK]-(a:Recovery)
WHERE a.trace_id = row.from_key AND n.lead_id = row.lead_id
DELETE n
