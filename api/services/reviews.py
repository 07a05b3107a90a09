"""Straw-queue review decisions (issue 19), one service for ``tracegraph review|reviews`` and the API.

An analyst marks a queue item ``reviewed``, ``escalated`` or ``dismissed`` with a reason. Each decision is a
``Review`` node in the graph, ``(Review)-[:REVIEWS]->(Person)`` (graph/schema.py), so both engines carry it and a
snapshot rebuild finds it again; every decision is audited (the reason is not: it is free text). The latest
decision per person is what the queue shows as ``last_review`` and what the scoring may read later as a feature
(:func:`latest_decisions`; scores do not use it yet, docs/analytics.md).

Reviews are for roles cleared for personal data (analyst, investigator, admin); partners get 403.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.security import Principal
from api.services.link_chart import stored_key
from api.services.models import LastReview, Out
from api.services.port import ReadPort, SnapshotPort
from api.services.release import Release
from api.services.snapshot import ApiContext
from exports.tlp import label_level
from graph.errors import Forbidden, InvalidInput, NotFound
from graph.store import GraphStore

Decision = Literal["reviewed", "escalated", "dismissed"]
DECISIONS: tuple[str, ...] = ("reviewed", "escalated", "dismissed")
MAX_REASON = 2000


class ReviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    decision: Decision
    reason: str = Field(min_length=1, max_length=MAX_REASON, pattern=r"\S",
                        description="why (1..2000 characters, not blank)")

    @field_validator("reason")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        return value.strip()


class ReviewOut(LastReview):
    person: str = Field(description="the person's key as released to the caller")


class ReviewHistory(Out):
    person: str
    items: list[ReviewOut] = Field(description="newest first")


def check(decision: str, reason: str) -> tuple[str, str]:
    """The decision and trimmed reason, or InvalidInput (the CLI's check; the API's models say the same)."""
    if decision not in DECISIONS:
        raise InvalidInput(f"--decision must be one of {', '.join(DECISIONS)}")
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInput(f"--reason must be 1 to {MAX_REASON} characters, not blank")
    return decision, reason


def new_review(person_key: str, decision: str, reason: str, *, by_key_id: str, by_name: str,
               straw_score: float | None, at: dt.datetime | None = None) -> dict[str, Any]:
    """One decision as the row :func:`write` stores (and the ports return)."""
    decision, reason = check(decision, reason)
    moment = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(tzinfo=None)
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)  # both engines keep milliseconds
    return {"person_key": person_key, "review_id": f"review-{moment:%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}",
            "decision": decision, "reason": reason, "by_key_id": by_key_id, "by_name": by_name, "at": moment,
            "straw_score": straw_score}


def person_score(store: GraphStore, person_key: str) -> float | None:
    """The person's straw score; NotFound when there is no such person."""
    rows = store.query("person_straw_score", {"person_key": person_key}).rows()
    if not rows:
        raise NotFound("no Person with that key")
    score = rows[0].get("straw_score")
    return float(score) if score is not None else None


def write(store: GraphStore, row: dict[str, Any]) -> None:
    """Store one decision: the Review node and its REVIEWS relationship."""
    node = {k: v for k, v in row.items() if k != "person_key"}
    store.upsert_nodes("Review", [node])
    store.upsert_relationships("REVIEWS", "Review", "Person", [{"from_key": row["review_id"],
                                                                "to_key": row["person_key"]}])


def _moment(row: dict[str, Any]) -> dt.datetime:
    at = row.get("at")
    if isinstance(at, dt.datetime):
        return at.replace(tzinfo=None) if at.tzinfo is None else at.astimezone(dt.UTC).replace(tzinfo=None)
    return dt.datetime.min


def newest_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: (_moment(r), str(r.get("review_id"))), reverse=True)


def history(port: ReadPort, person_key: str | None = None) -> list[dict[str, Any]]:
    """Decisions (of one person, or everyone's), newest first."""
    return newest_first(port.reviews(person_key))


def latest_decisions(port: ReadPort) -> dict[str, dict[str, Any]]:
    """The latest decision per person key: the queue's ``last_review``, and the feature the scoring may use
    later (e.g. leave ``dismissed`` persons out of a retraining set, or weight ``escalated`` ones)."""
    latest: dict[str, dict[str, Any]] = {}
    for row in history(port):
        latest.setdefault(str(row["person_key"]), row)
    return latest


# --- the API's face ---------------------------------------------------------------------------------------------

def _reviewer(principal: Principal) -> Release:
    release = Release(principal)
    if not (release.clearance.personal_data and release.clearance.may_see(label_level("Review"))):
        raise Forbidden("straw-queue reviews are for analysts, investigators and admins")
    return release


def _out(row: dict[str, Any], shown_key: str) -> ReviewOut:
    return ReviewOut(person=shown_key, decision=row["decision"], reason=row["reason"],
                     by=row.get("by_name") or row.get("by_key_id") or "", at=row["at"])


def last_review(release: Release, row: dict[str, Any] | None) -> LastReview | None:
    """The queue item's ``last_review`` as this caller may see it (None for callers reviews are not for)."""
    if row is None or not (release.clearance.personal_data and release.clearance.may_see(label_level("Review"))):
        return None
    return LastReview(decision=row["decision"], reason=row["reason"], by=row.get("by_name") or "", at=row["at"])


def record(context: ApiContext, principal: Principal, person_key: str, request: ReviewRequest,
           audit: Callable[..., None]) -> ReviewOut:
    """Store one decision (through :meth:`ApiContext.writing`), add it to the served snapshot, audit it."""
    release = _reviewer(principal)
    snapshot = context.snapshot
    stored = stored_key(snapshot, release, "Person", person_key)
    person = snapshot.nodes["Person"].get(stored) or {}
    row = new_review(stored, request.decision, request.reason, by_key_id=principal.key_id, by_name=principal.name,
                     straw_score=person.get("straw_score"))
    with context.writing() as store:
        write(store, row)
    snapshot.reviews.setdefault(stored, []).append(row)
    audit(actor=principal.key_id, action="straw review", target=f"person:{person_key}", outcome="ok",
          details={"decision": row["decision"], "review_id": row["review_id"], "surface": "api"})
    return _out(row, person_key)


def list_reviews(context: ApiContext, principal: Principal, person_key: str) -> ReviewHistory:
    release = _reviewer(principal)
    snapshot = context.snapshot
    stored = stored_key(snapshot, release, "Person", person_key)
    return ReviewHistory(person=person_key, items=[_out(r, person_key) for r in
                                                   history(SnapshotPort(snapshot), stored)])
