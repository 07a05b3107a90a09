// The stored version of each NIBIN lead $lead_ids already in the store (a re-load; none for new leads), read from
// the recoveries $lead_traces the batch's leads name: a corrected lead keeps at least one of its two traces.
UNWIND $lead_traces AS k
MATCH (a:Recovery {trace_id: k})-[n:NIBIN_LINK]->(b:Recovery)
WHERE n.lead_id IN $lead_ids
RETURN n.lead_id AS lead_id, a.trace_id AS from_key, b.trace_id AS to_key, n.status AS status,
       n.lead_date AS lead_date
UNION
UNWIND $lead_traces AS k
MATCH (a:Recovery)-[n:NIBIN_LINK]->(b:Recovery {trace_id: k})
WHERE n.lead_id IN $lead_ids
RETURN n.lead_id AS lead_id, a.trace_id AS from_key, b.trace_id AS to_key, n.status AS status,
       n.lead_date AS lead_date
