// The analysis-run records behind analytics included in an evidence package.
MATCH (r:AnalysisRun)
WHERE r.run_id IN $run_ids
RETURN r.run_id AS run_id, r.started_at AS started_at, r.finished_at AS finished_at, r.seed AS seed,
       r.code_version AS code_version, r.parameters AS parameters, r.input_runs AS input_runs,
       r.timings AS timings, r.summary AS summary
ORDER BY run_id
