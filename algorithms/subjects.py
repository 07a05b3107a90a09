"""Criminal-intelligence subjects on documented reasonable suspicion (28 CFR 23.20).

A person becomes a subject only with a written predicate (the reasonable suspicion of criminal involvement, 23.20(a))
and a case; each subject carries a review-by date at most five years after its last validation (23.20(h)); a
subject whose review-by date passes loses the status at the next ``retention apply``
(:func:`algorithms.retention.plan`). Changes move the store's change stamp, so a running API rebuilds its snapshot.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from algorithms.retention import SUBJECT_MAX_DAYS, person_state, touch
from graph.errors import InvalidInput, NotFound
from graph.store import GraphStore

SUBJECT_COLUMNS = ("person_key", "case_id", "predicate", "since", "validated", "review_by", "due")


def check_review_by(today: dt.date, review_by: dt.date) -> None:
    """InvalidInput unless ``today < review_by <= today + five years``."""
    latest = today + dt.timedelta(days=SUBJECT_MAX_DAYS)
    if review_by <= today:
        raise InvalidInput(f"--review-by {review_by.isoformat()} must be after today ({today.isoformat()})")
    if review_by > latest:
        raise InvalidInput(f"--review-by {review_by.isoformat()} is more than five years away (28 CFR 23.20(h)): "
                           f"at most {latest.isoformat()}")


def _review_by(today: dt.date, review_by: dt.date | None) -> dt.date:
    if review_by is None:
        return today + dt.timedelta(days=SUBJECT_MAX_DAYS)
    check_review_by(today, review_by)
    return review_by


def add(store: GraphStore, person_key: str, *, predicate: str, case_id: str, today: dt.date,
        review_by: dt.date | None = None) -> dict[str, Any]:
    """Confirm a person as a subject: the predicate and the case are required."""
    if not predicate or not predicate.strip():
        raise InvalidInput("a subject needs the documented reasonable suspicion (--predicate)")
    if not case_id or not case_id.strip():
        raise InvalidInput("a subject needs a case id (--case)")
    due = _review_by(today, review_by)
    person_state(store, person_key)
    store.upsert_nodes("Person", [{"person_key": person_key, "subject_predicate": predicate.strip(),
                                   "subject_case_id": case_id.strip(), "subject_since": today,
                                   "subject_validated": today, "subject_review_by": due}])
    touch(store)
    return {"person_key": person_key, "case_id": case_id.strip(), "review_by": due.isoformat()}


def validate(store: GraphStore, person_key: str, *, today: dt.date, review_by: dt.date | None = None
             ) -> dict[str, Any]:
    """Record a review that validated the subject: a new review-by date (at most five years on)."""
    row = person_state(store, person_key)
    if not row.get("subject_predicate"):
        raise NotFound(f"{person_key} is not a subject: add it with `tracegraph subjects add`")
    due = _review_by(today, review_by)
    store.upsert_nodes("Person", [{"person_key": person_key, "subject_validated": today,
                                   "subject_review_by": due}])
    touch(store)
    return {"person_key": person_key, "validated": today.isoformat(), "review_by": due.isoformat()}


def listing(store: GraphStore, *, today: dt.date, due_within_days: int | None = None) -> list[dict[str, Any]]:
    """Subjects, soonest review first; ``due_within_days``: only those due for review by then (0: overdue or
    due today)."""
    table = store.node_table("Person", ("subject_predicate", "subject_case_id", "subject_since",
                                        "subject_validated", "subject_review_by")).to_pylist()
    rows = []
    for r in table:
        if not r["subject_predicate"]:
            continue
        review = r["subject_review_by"]
        due = review is None or review <= today
        if due_within_days is not None and review is not None and review > today + dt.timedelta(days=due_within_days):
            continue
        rows.append({"person_key": r["key"], "case_id": r["subject_case_id"], "predicate": r["subject_predicate"],
                     "since": r["subject_since"], "validated": r["subject_validated"], "review_by": review,
                     "due": due})
    return sorted(rows, key=lambda r: (r["review_by"] or dt.date.min, r["person_key"]))
