// Detach expired multiple-sale purchases from the purchaser the retention policy removes (algorithms/retention.py
// has already copied each sale to the report's stand-in, which carries the same sale_id but is purged).
MATCH (p:Person)-[r:PURCHASED]->(f:Firearm)
WHERE r.sale_id IN $sale_ids AND p.person_key IN $person_keys AND (p.purged IS NULL OR NOT p.purged)
DELETE r
