// theft_drop_reporters bound by key at the report instead of both ends (which the engine reads as bound at the
// dealer): as theft_drop_guns_at_report (docs/performance.md, fault24); loaders/corrections.py runs both.
UNWIND $rows AS row
MATCH (t:TheftReport {report_id: row.report_id})<-[e:REPORTED]-(d:Dealer)
WHERE d.dealer_key = row.dealer
DELETE e
