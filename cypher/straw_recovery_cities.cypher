// The straw neighbourhood: the city each of the recoveries $keys was made in (its Location).
UNWIND $keys AS k
MATCH (r:Recovery {trace_id: k})
OPTIONAL MATCH (r)-[:AT]->(l:Location)
WITH r, l WHERE l IS NOT NULL AND l.kind = 'city'
RETURN r.trace_id AS trace_id, l.location_key AS location_key
