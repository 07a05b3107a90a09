// The straw neighbourhood: the city each of the recoveries $keys was made in (its Location).
UNWIND $keys AS k
MATCH (r:Recovery {trace_id: k})
OPTIONAL MATCH (r)-[:AT]->(l:Location)
WITH r.trace_id AS trace_id, l.location_key AS location_key, l.kind AS kind
WHERE location_key IS NOT NULL AND kind = 'city'
RETURN trace_id, location_key
