// Every evidence item of a case, oldest first.
MATCH (e:Evidence)
WHERE e.case_id = $case_id
RETURN e.evidence_id AS evidence_id, e.case_id AS case_id, e.file_name AS file_name, e.sha256 AS sha256,
       e.size_bytes AS size_bytes, e.credential_id AS credential_id, e.custodian AS custodian,
       e.custody_state AS custody_state, e.added_at AS added_at, e.added_by AS added_by
ORDER BY added_at, evidence_id
