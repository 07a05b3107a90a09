// The stored version of each NIBIN lead $lead_ids already in the store (a re-load; none for new leads), read from
// the recoveries $lead_traces the batch's leads name: a corrected lead keeps at least one of its two traces.
// Each branch starts at a trace and expands with OPTIONAL MATCH: a pattern matching the trace and its leads at once
// was planned as a scan of every lead (LadybugDB 0.22; cypher/sale_versions.cypher), and a far end labelled
// Recovery as a scan of every recovery (0.13-0.16 CPU s for 71 leads at national scale; unlabelled 0.01 s: a
// NIBIN_LINK joins recoveries only).
UNWIND $lead_traces AS k
MATCH (a:Recovery {trace_id: k})
OPTIONAL MATCH (a)-[n:NIBIN_LINK]->(b)
WITH a, n, b
WHERE n.lead_id IN $lead_ids
RETURN n.lead_id AS lead_id, a.trace_id AS from_key, b.trace_id AS to_key, n.status AS status,
       n.lead_date AS lead_date
UNION
UNWIND $lead_traces AS k
MATCH (b:Recovery {trace_id: k})
OPTIONAL MATCH (a)-[n:NIBIN_LINK]->(b)
WITH a, n, b
WHERE n.lead_id IN $lead_ids
RETURN n.lead_id AS lead_id, a.trace_id AS from_key, b.trace_id AS to_key, n.status AS status,
       n.lead_date AS lead_date
