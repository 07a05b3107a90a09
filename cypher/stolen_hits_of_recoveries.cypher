// The stolen hits (as stolen_hits_of_runs) of the given recoveries, those of them the given load runs wrote: a
// traces load's own recoveries found by key (the run's trace ids) instead of a scan of every recovery's run id.
// Each recovery bound by key, its gun and reports reached with OPTIONAL MATCH (a plain MATCH from an UNWIND is
// planned as a hash join over the whole relationship type) and their properties passed on, not the nodes.
UNWIND $keys AS k
MATCH (r:Recovery {trace_id: k})
WHERE r.load_run_id IN $runs
OPTIONAL MATCH (f:Firearm)-[:RECOVERED_IN]->(r)
OPTIONAL MATCH (f)-[:REPORTED_STOLEN]->(t:TheftReport)
WITH r.trace_id AS trace_id, r.recovery_date AS recovery_date, r.recovery_city AS recovery_city,
     r.recovery_state AS recovery_state, r.recovery_country AS recovery_country, f.firearm_key AS firearm_key,
     f.manufacturer AS manufacturer, f.model AS model, f.serial_number AS serial_number,
     t.report_id AS report_id, t.reported_date AS reported_date, t.reporter_kind AS reporter_kind,
     t.reporter AS reporter, t.reporter_dealer_key AS reporter_dealer_key, t.country AS report_country,
     t.source_form AS source_form
WHERE report_id IS NOT NULL
RETURN trace_id, recovery_date, recovery_city, recovery_state, recovery_country, firearm_key, manufacturer, model,
       serial_number, report_id, reported_date, reporter_kind, reporter, reporter_dealer_key, report_country,
       source_form
ORDER BY trace_id, report_id
