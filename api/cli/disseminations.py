"""``tracegraph disseminations``: the record of every release outside the agency (28 CFR 23.20(g)), read from the
verified audit chain; and what the exporting commands share to write it (``--recipient``, ``--purpose``)."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli.common import err, settings
from api.settings import Settings

Recipient = Annotated[str | None, typer.Option(
    "--recipient", help="the agency receiving it (recorded: `tracegraph disseminations`)")]
Purpose = Annotated[str | None, typer.Option(
    "--purpose", help="the reason for release, e.g. the investigation it serves (recorded)")]


def register(app: typer.Typer) -> None:
    app.command("disseminations")(disseminations)


def actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def audit_log(conf: Settings) -> Path:
    return conf.audit_log or Path(conf.db).parent / "audit.jsonl"


def record(conf: Settings, files: list[Path], *, recipient: str, purpose: str, channel: str, tlp: str | None,
           objects: int | None, target: str) -> None:
    """Record the release of ``files`` (each with its SHA-256) in the audit chain and say so on stderr."""
    from api.audit import AuditLog
    from api.services.disseminations import record_file

    written = record_file(AuditLog(audit_log(conf)), files, recipient=recipient, purpose=purpose, channel=channel,
                          tlp=tlp, objects=objects, actor=actor(), target=target)
    seqs = ", ".join(str(entry["seq"]) for entry in written)
    err.print(f"release to {recipient} recorded (audit seq {seqs}; `tracegraph disseminations`)", highlight=False,
              soft_wrap=True)


def disseminations(ctx: typer.Context,
                   since: Annotated[str | None, typer.Option("--since", help="releases on or after this date "
                                                                            "(YYYY-MM-DD, UTC)")] = None,
                   recipient: Annotated[str | None, typer.Option("--recipient", help="only releases to this "
                                                                                    "recipient")] = None,
                   fmt: Annotated[str, typer.Option("--format", help="table | json | csv")] = "table",
                   out_file: Annotated[Path | None, typer.Option("--out", help="write to this file")] = None,
                   ) -> None:
    """The record of every release outside the agency (who, why, when, TLP, objects, file SHA-256), read from the
    audit chain after verifying it (exit 1 if it was tampered with)."""
    from api.audit import AuditLog
    from api.cli.output import check_format, emit
    from api.cli.retention import parse_date
    from api.services.disseminations import COLUMNS, TABLE_COLUMNS, listing

    check_format(fmt)
    day = parse_date(since, "--since") if since else None
    conf = settings(ctx)
    key_dir = conf.key_dir or Path(conf.db).parent / "keys"
    found = listing(AuditLog(audit_log(conf)), since=day, recipient=recipient, key_dir=key_dir)
    rows: list[dict[str, Any]] = found.rows
    emit(rows, TABLE_COLUMNS if fmt == "table" else COLUMNS, fmt, out_file=out_file, title="disseminations")
    err.print(f"{len(rows)} release(s); audit chain verified ({found.entries} entries; {found.checkpoints})",
              highlight=False, soft_wrap=True)
