"""``tracegraph retention …`` and ``tracegraph subjects …``: the retention policy the store carries, its plan and
purge, holds, and reasonable-suspicion subjects (docs/compliance.md). Every change is audited, counts only."""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from api.cli.common import emit_json, err, out, settings
from api.settings import Settings
from graph.errors import InvalidInput

retention_app = typer.Typer(help="Retention of personal data: policy, plan, apply, holds.", no_args_is_help=True)
subjects_app = typer.Typer(help="Intelligence subjects on documented reasonable suspicion (28 CFR 23.20).",
                           no_args_is_help=True)

AsOf = Annotated[str, typer.Option("--as-of", help="the date the policy is applied as of (YYYY-MM-DD)")]
AsJson = Annotated[bool, typer.Option("--json", help="end with one JSON object")]


def register(app: typer.Typer) -> None:
    app.add_typer(retention_app, name="retention")
    app.add_typer(subjects_app, name="subjects")


def parse_date(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{option} {value!r} is not a date (YYYY-MM-DD)") from None


def _actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def audit(conf: Settings, action: str, target: str, details: dict[str, Any]) -> None:
    """One entry in the hash-chained audit log (identifiers and counts only, never personal data)."""
    from api.app import audit_log_path
    from api.audit import AuditLog

    AuditLog(audit_log_path(conf)).append(actor=_actor(), action=action, target=target, details=details)


@retention_app.command("policy")
def policy(ctx: typer.Context,
           set_to: Annotated[str | None, typer.Option("--set", help="atf | cleo | a policy file (.json)")] = None,
           as_json: AsJson = False) -> None:
    """Show the retention policy the store carries, each rule with its legal basis; --set changes it."""
    from algorithms import retention

    conf = settings(ctx)
    with conf.open_store() as store:
        if set_to is not None:
            chosen = (retention.policy_from_file(Path(set_to)) if set_to.endswith(".json")
                      else retention.policy_named(set_to))
            retention.set_policy(store, chosen)
            audit(conf, "retention.policy", "store", {"policy": chosen.name,
                                                      "multiple_sale_purchaser_days":
                                                          chosen.multiple_sale_purchaser_days,
                                                      "subject_review_days": chosen.subject_review_days})
        current = retention.current_policy(store)
    rules = [{"rule": r.rule, "basis": r.basis, "text": r.text} for r in current.rules]
    if as_json:
        emit_json({"policy": current.name, "rules": rules})
        return
    out.print(f"retention policy: {current.name}", highlight=False)
    for rule in rules:
        out.print(f"  {rule['rule']} [{rule['basis']}]: {rule['text']}", highlight=False, soft_wrap=True)


def _plan_or_apply(ctx: typer.Context, as_of: str, as_json: bool, *, apply: bool) -> None:
    from algorithms import retention
    from api.services.store_file import checkpoint as store_checkpoint

    day = parse_date(as_of, "--as-of")
    conf = settings(ctx)
    with conf.open_store() as store:
        done = retention.apply(store, day) if apply else retention.plan(store, day)
        if apply:  # the removed identities leave the store file now, not at the next checkpoint
            store_checkpoint(store)
    summary = done.summary()
    if apply:
        audit(conf, "retention.apply", "store", {
            "as_of": summary["as_of"], "policy": summary["policy"], "total": summary["total"],
            "records": {r["rule"]: r["records"] for r in summary["rules"]}, "kept": summary["kept"]})
    if as_json:
        emit_json(summary)
        return
    verb = "removed" if apply else "would remove"
    for rule in summary["rules"]:
        out.print(f"{rule['rule']} [{rule['basis']}]: {rule['records']:,} records", highlight=False)
    kept = ", ".join(f"{n:,} {why}" for why, n in summary["kept"].items()) or "none"
    out.print(f"{verb} {summary['total']:,} person identities as of {summary['as_of']} under {summary['policy']}; "
              f"expired reports kept: {kept}", highlight=False)


@retention_app.command("plan")
def plan(ctx: typer.Context, as_of: AsOf, as_json: AsJson = False) -> None:
    """Say what the policy would remove as of a date. Changes nothing."""
    _plan_or_apply(ctx, as_of, as_json, apply=False)


@retention_app.command("apply")
def apply(ctx: typer.Context, as_of: AsOf, as_json: AsJson = False) -> None:
    """Remove what the policy says goes as of a date (idempotent; audited with counts only)."""
    _plan_or_apply(ctx, as_of, as_json, apply=True)


@retention_app.command("hold")
def hold(ctx: typer.Context, person: Annotated[str, typer.Argument(help="person key")],
         reason: Annotated[str, typer.Option("--reason", help="why the identity must be kept")],
         until: Annotated[str | None, typer.Option("--until", help="the hold lapses after this date")] = None,
         prohibited: Annotated[bool, typer.Option(
             "--prohibited", help="the person is a prohibited person (the cleo policy's exception)")] = False,
         ) -> None:
    """Keep one identity past the policy (audited)."""
    from algorithms import retention

    ends = parse_date(until, "--until") if until else None
    conf = settings(ctx)
    with conf.open_store() as store:
        done = retention.hold(store, person, reason=reason, until=ends,
                              kind="prohibited_person" if prohibited else "hold")
    audit(conf, "retention.hold", f"person:{person}", {"kind": done["kind"], "until": done["until"]})
    err.print(f"hold on {person}" + (f" until {done['until']}" if done["until"] else " until released"),
              highlight=False)


def _subject_request(person: str, predicate: str, case: str, review_by: dt.date | None) -> Any:
    """The API's request model, checked the one way (a blank predicate or case is one line, exit 2)."""
    from api.services.subjects import SubjectNew

    if not predicate.strip():
        raise InvalidInput("a subject needs the documented reasonable suspicion (--predicate)")
    if not case.strip():
        raise InvalidInput("a subject needs a case id (--case)")
    from pydantic import ValidationError

    try:
        return SubjectNew(person_key=person, predicate=predicate, case_id=case, review_by=review_by)
    except ValidationError as exc:
        where = ", ".join(str(e["loc"][0]) for e in exc.errors() if e.get("loc"))
        raise InvalidInput(f"subject: invalid {where} (too long?)") from None


@subjects_app.command("add")
def subjects_add(ctx: typer.Context, person: Annotated[str, typer.Argument(help="person key")],
                 predicate: Annotated[str, typer.Option(
                     "--predicate", help="the documented reasonable suspicion of criminal involvement")],
                 case: Annotated[str, typer.Option("--case", help="case id")],
                 review_by: Annotated[str | None, typer.Option(
                     "--review-by", help="review date (default and at most: five years from today)")] = None,
                 ) -> None:
    """Confirm a person as an intelligence subject (audited)."""
    from api.services import subjects

    due = parse_date(review_by, "--review-by") if review_by else None
    conf = settings(ctx)
    with conf.open_store() as store:
        done, item = subjects.add(store, _subject_request(person, predicate, case, due), today=dt.date.today(),
                                  actor=_actor())
    audit(conf, item["action"], item["target"], item["details"])
    err.print(f"{person} is a subject of case {done['case_id']}; review by {done['review_by']}", highlight=False)


@subjects_app.command("validate")
def subjects_validate(ctx: typer.Context, person: Annotated[str, typer.Argument(help="person key")],
                      review_by: Annotated[str | None, typer.Option(
                          "--review-by", help="next review (default and at most: five years from today)")] = None,
                      ) -> None:
    """Record a review that validated a subject: sets the next review-by date (audited)."""
    from api.services import subjects

    due = parse_date(review_by, "--review-by") if review_by else None
    conf = settings(ctx)
    with conf.open_store() as store:
        done, item = subjects.validate(store, person, due, today=dt.date.today(), actor=_actor())
    audit(conf, item["action"], item["target"], item["details"])
    err.print(f"{person} validated; review by {done['review_by']}", highlight=False)


@subjects_app.command("list")
def subjects_list(ctx: typer.Context,
                  due: Annotated[bool, typer.Option("--due", help="only subjects due for review (overdue or "
                                                                  "within --within days)")] = False,
                  within: Annotated[int, typer.Option("--within", min=0, help="days ahead for --due")] = 30,
                  as_json: AsJson = False) -> None:
    """Subjects, soonest review first."""
    from api.services import subjects

    with settings(ctx).open_store() as store:
        rows = subjects.listing(store, today=dt.date.today(), due=due, within=within)
    if as_json:
        emit_json({"subjects": rows})
        return
    table = Table()
    for column in ("person_key", "case_id", "review_by", "due"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["person_key"], row["case_id"], str(row["review_by"]), "yes" if row["due"] else "")
    out.print(table)
    if not rows:
        err.print("no subjects" + (" due for review" if due else ""), highlight=False)
