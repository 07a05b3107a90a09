// The straw neighbourhood: who bought the guns of the recoveries $keys (the owners of a NIBIN lead's ends, the
// purchasers tied to a possessor).
UNWIND $keys AS k
MATCH (r:Recovery {trace_id: k})
OPTIONAL MATCH (p:Person)-[:PURCHASED]->(f:Firearm)-[:RECOVERED_IN]->(r)
WITH r.trace_id AS trace_id, p.person_key AS person_key WHERE person_key IS NOT NULL
RETURN DISTINCT trace_id, person_key
