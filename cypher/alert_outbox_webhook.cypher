// The webhook outbox (api/services/outbox.py): alerts still to deliver, oldest first, and whether each one's next
// attempt has come ($now: naive UTC). Only pending alerts are read, never the whole (ever growing) Alert table.
MATCH (a:Alert)
WHERE a.delivery_state = 'pending'
RETURN a.alert_id AS key, a.rule AS rule, a.reason AS reason, a.subject_label AS subject_label,
       a.subject_key AS subject_key, a.watch_id AS watch_id, a.evidence AS evidence, a.load_runs AS load_runs,
       a.analysis_run_id AS analysis_run_id, a.created_at AS created_at, a.tlp AS tlp,
       a.delivery_attempts AS attempts, (a.next_attempt_at IS NULL OR a.next_attempt_at <= $now) AS due
ORDER BY created_at, key
