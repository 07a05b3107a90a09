// Load runs that started and never finished (killed, crashed, or refused half way), oldest first.
MATCH (r:LoadRun)
WHERE r.finished_at IS NULL
RETURN r.run_id AS run_id, r.kind AS kind, r.file AS file, r.started_at AS started_at
ORDER BY started_at
