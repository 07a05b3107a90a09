// One person's retention state (holds, subject status), by key.
MATCH (p:Person)
WHERE p.person_key = $key
RETURN p.person_key AS person_key, p.purged AS purged, p.hold_reason AS hold_reason, p.hold_kind AS hold_kind,
       p.hold_until AS hold_until, p.subject_predicate AS subject_predicate, p.subject_case_id AS subject_case_id,
       p.subject_since AS subject_since, p.subject_validated AS subject_validated,
       p.subject_review_by AS subject_review_by
