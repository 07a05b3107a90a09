"""``tracegraph review PERSON --decision D --reason TEXT`` and ``tracegraph reviews [PERSON]``: straw-queue review
decisions, the same service as ``POST/GET /api/v1/straw-queue/{person}/reviews`` (api/services/reviews.py)."""

from __future__ import annotations

import getpass
import json
from typing import Annotated, Any

import typer

from api.cli.common import settings

FIELDS = ("person_key", "review_id", "decision", "reason", "by_key_id", "by_name", "at", "straw_score")


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    plain = {name: row.get(name) for name in FIELDS}
    at = plain["at"]
    if at is not None and hasattr(at, "isoformat"):
        plain["at"] = at.isoformat() + ("Z" if at.tzinfo is None else "")  # as the API writes it
    return plain


def register(app: typer.Typer) -> None:
    @app.command("review")
    def review(ctx: typer.Context,
               person: Annotated[str, typer.Argument(help="the person_key of a straw-queue item")],
               decision: Annotated[str, typer.Option(help="reviewed | escalated | dismissed")],
               reason: Annotated[str, typer.Option(help="why (1..2000 characters)")],
               by: Annotated[str | None, typer.Option(help="who decides (default: the login name)")] = None,
               ) -> None:
        """Record a review decision on a straw-queue item (stored in the graph, audited); prints it as JSON."""
        from api.app import audit_log_path
        from api.audit import AuditLog
        from api.services import reviews

        config = settings(ctx)
        reviews.check(decision, reason)
        with config.open_store() as store:
            score = reviews.person_score(store, person)
            who = by or getpass.getuser()
            row = reviews.new_review(person, decision, reason, by_key_id="cli", by_name=who, straw_score=score)
            reviews.write(store, row)
        AuditLog(audit_log_path(config)).append(
            actor="cli", action="straw review", target=f"person:{person}",
            details={"decision": row["decision"], "review_id": row["review_id"], "surface": "cli"})
        print(json.dumps(_plain(row)))

    @app.command("reviews")
    def list_reviews(ctx: typer.Context,
                     person: Annotated[str | None, typer.Argument(help="one person_key (default: everyone's)")]
                     = None) -> None:
        """Straw-queue review decisions, newest first, one JSON object per line."""
        from api.services import reviews
        from api.services.port import StorePort

        with settings(ctx).open_store() as store:
            if person is not None:
                reviews.person_score(store, person)  # NotFound: exit 2 with one line
            rows = reviews.history(StorePort(store), person)
        for row in rows:
            print(json.dumps(_plain(row)))
