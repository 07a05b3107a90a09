// The stolen hits (as stolen_hits) of the recoveries the given load runs wrote: a traces load's own recoveries.
MATCH (r:Recovery)
WHERE r.load_run_id IN $runs
MATCH (f:Firearm)-[:RECOVERED_IN]->(r)
MATCH (f)-[s:REPORTED_STOLEN]->(t:TheftReport)
RETURN r.trace_id AS trace_id, r.recovery_date AS recovery_date, r.recovery_city AS recovery_city,
       r.recovery_state AS recovery_state, r.recovery_country AS recovery_country, f.firearm_key AS firearm_key,
       f.manufacturer AS manufacturer, f.model AS model, f.serial_number AS serial_number,
       t.report_id AS report_id, t.reported_date AS reported_date, t.reporter_kind AS reporter_kind,
       t.reporter AS reporter, t.reporter_dealer_key AS reporter_dealer_key, t.country AS report_country,
       t.source_form AS source_form
ORDER BY trace_id, report_id
