// Most recent load runs, newest first.
MATCH (r:LoadRun)
RETURN r.run_id AS run_id, r.kind AS kind, r.file AS file, r.started_at AS started_at,
       r.finished_at AS finished_at, r.read AS read, r.loaded AS loaded, r.rejected AS rejected,
       r.rejects_file AS rejects_file
ORDER BY started_at DESC, run_id
LIMIT $limit
