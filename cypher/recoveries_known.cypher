// Which of $keys are stored recoveries (a NIBIN load checks the traces its leads name without reading them all).
UNWIND $keys AS key
MATCH (r:Recovery {trace_id: key})
RETURN r.trace_id AS trace_id
