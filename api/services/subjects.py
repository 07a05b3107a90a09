"""Intelligence subjects (28 CFR 23.20, :mod:`algorithms.subjects`) for both faces: ``tracegraph subjects add |
validate | list`` and ``POST /api/v1/subjects``, ``POST /api/v1/subjects/{person_key}/validate``,
``GET /api/v1/subjects[?due=true]``.

Each change returns what it did and the audit item to record (identifiers and dates only: never the predicate,
which may describe a person); the CLI appends it to the audit log, the API submits it to its group-commit writer
beside the request's own entry. Only analysts, investigators and supervisors (``admin``) may read or change
subjects over the API; a partner never does (:data:`ROLES`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from algorithms import subjects
from api.security import Principal
from graph.errors import Forbidden, InvalidInput
from graph.store import GraphStore

ROLES = frozenset({"analyst", "investigator", "admin"})
DUE_WITHIN_DAYS = 30


def _within_five_years(value: dt.date | None) -> dt.date | None:
    """A review-by date after today and at most five years on (28 CFR 23.20(h)): a rule OpenAPI cannot state (it
    moves with the day), so breaking it is a 422 like any other validation error, never a 400."""
    if value is not None:
        try:
            subjects.check_review_by(dt.date.today(), value)
        except InvalidInput as exc:
            raise ValueError(str(exc).removeprefix("--review-by ")) from None
    return value


ReviewBy = Annotated[dt.date | None, AfterValidator(_within_five_years)]


class SubjectNew(BaseModel):
    """Confirm a person as a subject: the documented reasonable suspicion and the case are required."""

    model_config = ConfigDict(extra="forbid")

    person_key: str = Field(min_length=1, max_length=200, description="the person's key")
    predicate: str = Field(min_length=1, max_length=4000, pattern=r"\S",
                           description="the documented reasonable suspicion of criminal involvement "
                                       "(28 CFR 23.20(a))")
    case_id: str = Field(min_length=1, max_length=200, pattern=r"\S", description="the case it belongs to")
    review_by: ReviewBy = Field(None, description="review date, after today (default and at most: five years from "
                                                  "today; a date outside that is a 422)")


class SubjectValidation(BaseModel):
    """A review that validated the subject: the next review-by date (default and at most five years on)."""

    model_config = ConfigDict(extra="forbid")

    review_by: ReviewBy = Field(None, description="next review, after today (default and at most: five years from "
                                                  "today; a date outside that is a 422)")


class Subject(BaseModel):
    person_key: str
    case_id: str | None
    predicate: str | None
    since: dt.date | None
    validated: dt.date | None
    review_by: dt.date | None
    due: bool = Field(description="overdue or due within the window asked for")


class SubjectList(BaseModel):
    items: list[Subject]


class SubjectChange(BaseModel):
    person_key: str
    case_id: str | None = None
    validated: dt.date | None = None
    review_by: dt.date


def allowed(principal: Principal) -> None:
    if principal.role not in ROLES:
        raise Forbidden("intelligence subjects are for analysts, investigators and supervisors, never partners")


def add(store: GraphStore, request: SubjectNew, *, today: dt.date, actor: str
        ) -> tuple[dict[str, Any], dict[str, Any]]:
    done = subjects.add(store, request.person_key, predicate=request.predicate, case_id=request.case_id,
                        today=today, review_by=request.review_by)
    return done, {"actor": actor, "action": "subjects.add", "target": f"person:{request.person_key}",
                  "details": {"case_id": done["case_id"], "review_by": done["review_by"]}}


def validate(store: GraphStore, person_key: str, review_by: dt.date | None, *, today: dt.date, actor: str
             ) -> tuple[dict[str, Any], dict[str, Any]]:
    done = subjects.validate(store, person_key, today=today, review_by=review_by)
    return done, {"actor": actor, "action": "subjects.validate", "target": f"person:{person_key}",
                  "details": {"review_by": done["review_by"]}}


def listing(store: GraphStore, *, today: dt.date, due: bool, within: int = DUE_WITHIN_DAYS) -> list[dict[str, Any]]:
    return subjects.listing(store, today=today, due_within_days=within if due else None)
