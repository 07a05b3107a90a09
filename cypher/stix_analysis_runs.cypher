// Analysis runs for the STIX report object (latest first).
MATCH (r:AnalysisRun)
RETURN r.run_id AS run_id, r.started_at AS started_at, r.finished_at AS finished_at,
       r.code_version AS code_version, r.seed AS seed
ORDER BY finished_at DESC, run_id
