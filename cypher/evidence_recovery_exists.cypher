// Does the Recovery an evidence item documents exist? (one row or none)
MATCH (r:Recovery {trace_id: $key})
RETURN r.trace_id AS key
