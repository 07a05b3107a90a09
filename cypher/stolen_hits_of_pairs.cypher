// The stolen hits' columns (as stolen_hits) of the given (trace_id, firearm_key, report_id) $rows, each node read
// by key, with the recovery's load run: the hits algorithms/stolen_hits.py adds from the relationships a load's own
// transaction wrote (docs/performance.md, fault24).
UNWIND $rows AS row
MATCH (r:Recovery {trace_id: row.trace_id})
MATCH (f:Firearm {firearm_key: row.firearm_key})
MATCH (t:TheftReport {report_id: row.report_id})
RETURN r.trace_id AS trace_id, r.recovery_date AS recovery_date, r.recovery_city AS recovery_city,
       r.recovery_state AS recovery_state, r.recovery_country AS recovery_country, f.firearm_key AS firearm_key,
       f.manufacturer AS manufacturer, f.model AS model, f.serial_number AS serial_number,
       t.report_id AS report_id, t.reported_date AS reported_date, t.reporter_kind AS reporter_kind,
       t.reporter AS reporter, t.reporter_dealer_key AS reporter_dealer_key, t.country AS report_country,
       t.source_form AS source_form, r.load_run_id AS load_run_id
