// Subject status lapses when its review-by date passed without validation (28 CFR 23.20(h)).
MATCH (p:Person)
WHERE p.person_key IN $keys
SET p.subject_predicate = NULL, p.subject_case_id = NULL, p.subject_since = NULL, p.subject_validated = NULL,
    p.subject_review_by = NULL
