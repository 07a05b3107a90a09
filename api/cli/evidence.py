"""``tracegraph evidence ...`` and ``tracegraph audit verify``: chain of custody from the command line."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from api.audit import AuditLog
from api.audit_checkpoints import verify_log, write_checkpoint
from api.cli.common import emit_json, err, out, settings
from api.cli.disseminations import Purpose, Recipient, record
from api.settings import Settings
from exports.evidence import package, report, service, timestamp
from exports.evidence.checks import first_failure
from exports.evidence.keys import KeyStore, utc_now
from graph.errors import InvalidInput, TracegraphError

evidence_app = typer.Typer(help="Evidence chain of custody: credentials, packages, verification, reports.",
                           no_args_is_help=True)
keys_app = typer.Typer(help="The evidence signing keys.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
evidence_app.add_typer(keys_app, name="keys")


def register(app: typer.Typer) -> None:
    app.add_typer(evidence_app, name="evidence")
    app.add_typer(audit_app, name="audit")


def _paths(conf: Settings) -> service.EvidencePaths:
    return service.EvidencePaths.beside(conf.db, key_dir=conf.key_dir, audit_log=conf.audit_log,
                                        evidence_dir=conf.evidence_dir)


def _keys(conf: Settings) -> KeyStore:
    secret = conf.key_passphrase.get_secret_value() if conf.key_passphrase else None
    return KeyStore(_paths(conf).key_dir, secret)


@contextmanager
def _audited(log: AuditLog, actor: str, action: str, target: str) -> Iterator[None]:
    """Record a refused or failed operation in the audit log too (successes are recorded by the service)."""
    try:
        yield
    except TracegraphError as exc:
        log.append(actor=actor, action=action, target=target, outcome="failed",
                   details={"error": type(exc).__name__})
        raise


def _default_actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@evidence_app.command("add")
def add(ctx: typer.Context,
        file: Annotated[Path, typer.Argument(help="the file to take into custody")],
        case: Annotated[str, typer.Option("--case", help="case id")],
        of: Annotated[str, typer.Option("--of", help="recovery:TRACE_ID or firearm:FIREARM_KEY")],
        by: Annotated[str, typer.Option("--by", help="who takes the item into custody")],
        analysis_run: Annotated[str | None, typer.Option(
            "--analysis-run", help="the AnalysisRun that produced this file, if it is an analytics output")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False) -> None:
    """Take a file into custody: copy, SHA-256, Evidence node OF the subject, signed EvidenceCredential."""
    conf = settings(ctx)
    paths = _paths(conf)
    log = AuditLog(paths.audit_log)
    with _audited(log, by, "evidence.add", f"case:{case}"), conf.open_store() as store:
        result = service.add_evidence(store, paths, _keys(conf), log, file=file, case_id=case, of=of, actor=by,
                                      analysis_run=analysis_run)
    if as_json:
        emit_json({"evidence_id": result["evidence_id"], "sha256": result["sha256"],
                   "size_bytes": result["size_bytes"], "credential_id": result["credential"]["id"]})
        return
    err.print(f"evidence {result['evidence_id']} held: SHA-256 {result['sha256']}, {result['size_bytes']:,} bytes, "
              f"credential {result['credential']['id']}")


@evidence_app.command("transfer")
def transfer(ctx: typer.Context,
             evidence_id: Annotated[str, typer.Argument(help="evidence id")],
             transferor: Annotated[str, typer.Option("--from", help="the custodian of record")],
             transferee: Annotated[str, typer.Option("--to", help="the new custodian")],
             reason: Annotated[str, typer.Option("--reason", help="why custody changes")],
             as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False) -> None:
    """Transfer custody: a signed CustodyTransferCredential chained to the item's previous credential."""
    conf = settings(ctx)
    paths = _paths(conf)
    log = AuditLog(paths.audit_log)
    with _audited(log, transferor, "evidence.transfer", f"evidence:{evidence_id}"), conf.open_store() as store:
        result = service.transfer_evidence(store, paths, _keys(conf), log, evidence_id=evidence_id,
                                           transferor=transferor, transferee=transferee, reason=reason)
    if as_json:
        emit_json({"evidence_id": evidence_id, "sequence": result["sequence"],
                   "credential_id": result["credential"]["id"]})
        return
    err.print(f"evidence {evidence_id}: custody transfer {result['sequence']} recorded, "
              f"credential {result['credential']['id']}")


@evidence_app.command("package")
def package_cmd(ctx: typer.Context,
                case: Annotated[str, typer.Option("--case", help="case id")],
                out_file: Annotated[Path, typer.Option("--out", help="the zip to write")],
                tsa_url: Annotated[str | None, typer.Option(
                    "--tsa-url", help="RFC 3161 time-stamp authority (default TRACEGRAPH_TSA_URL)")] = None,
                by: Annotated[str | None, typer.Option("--by", help="who builds the package")] = None,
                recipient: Recipient = None,
                purpose: Purpose = None,
                internal: Annotated[bool, typer.Option(
                    "--internal", help="the package stays inside the agency (no --recipient / --purpose)")] = False,
                ) -> None:
    """Package a case: files, manifest, Merkle root, credentials, analysis runs, RFC 3161 timestamp, README.

    A package leaving the agency needs --recipient and --purpose (recorded with its SHA-256, `tracegraph
    disseminations`); one that stays says --internal."""
    from api.services.disseminations import required

    conf = settings(ctx)
    if internal and (recipient or purpose):
        raise InvalidInput("--internal is a package that stays in the agency: no --recipient or --purpose")
    release = None if internal else required(recipient, purpose, "an evidence package (unless --internal)")
    url = tsa_url or conf.tsa_url
    if not url:
        raise InvalidInput("no time-stamp authority: pass --tsa-url or set TRACEGRAPH_TSA_URL")
    paths = _paths(conf)
    log = AuditLog(paths.audit_log)
    actor = by or _default_actor()
    with _audited(log, actor, "evidence.package", f"case:{case}"), conf.open_store() as store:
        built = service.package_case(store, paths, _keys(conf), log, case_id=case, out=out_file, actor=actor,
                                     timestamper=lambda root: timestamp.request_timestamp(url, root),
                                     readme=report.readme_renderer)
    err.print(f"package {built.path} written: {built.entries} files, Merkle root {built.merkle_root}, "
              f"time-stamped {built.timestamp['gen_time']}")
    if release is not None:
        record(conf, [Path(built.path)], recipient=release[0], purpose=release[1], channel="evidence package",
               tlp="red", objects=built.entries, target=f"evidence:case:{case}")


@evidence_app.command("verify")
def verify(ctx: typer.Context,
           package_file: Annotated[Path, typer.Argument(help="the evidence package (zip)")],
           tsa_ca: Annotated[Path | None, typer.Option(
               "--tsa-ca", help="trust anchor(s) for the time-stamp authority, PEM (default TRACEGRAPH_TSA_CA)")
           ] = None,
           as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False) -> None:
    """Verify a package offline; exit 1 naming the first item that fails."""
    conf = settings(ctx)
    anchor_file = tsa_ca or conf.tsa_ca
    if anchor_file is not None and not anchor_file.is_file():
        raise InvalidInput("the --tsa-ca file does not exist")
    if not package_file.is_file():
        raise InvalidInput("the package file does not exist")
    anchors = timestamp.load_anchors(anchor_file.read_bytes()) if anchor_file else None
    checks = package.verify_package(package_file, anchors)
    failed = first_failure(checks)
    if as_json:
        emit_json({"ok": failed is None, "checks": [c.__dict__ for c in checks],
                   "first_failure": failed.__dict__ if failed else None})
    else:
        table = Table(title=f"Verification of {package_file.name}", show_lines=False)
        for column in ("#", "Check", "Item", "Result", "Detail"):
            table.add_column(column, overflow="fold")
        for number, check in enumerate(checks, start=1):
            style = "green" if check.ok else "bold red"
            table.add_row(str(number), escape(check.check), escape(check.item), f"[{style}]{check.status}[/{style}]",
                          escape(check.detail))
        out.print(table)
    if failed is not None:
        err.print(f"[bold red]VERIFICATION FAILED[/bold red] at {escape(failed.item)}: {escape(failed.check)}: "
                  f"{escape(failed.detail)}",
                  highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    err.print(f"[green]ALL {len(checks)} CHECKS PASSED[/green]")


@evidence_app.command("report")
def report_cmd(ctx: typer.Context,
               case: Annotated[str, typer.Option("--case", help="case id")],
               out_dir: Annotated[Path, typer.Option("--out", help="folder for the HTML and PDF")],
               by: Annotated[str | None, typer.Option("--by", help="who requests the report")] = None) -> None:
    """Chain-of-custody report of a case: self-contained HTML and a PDF."""
    conf = settings(ctx)
    paths = _paths(conf)
    log = AuditLog(paths.audit_log)
    actor = by or _default_actor()
    with _audited(log, actor, "evidence.report", f"case:{case}"), conf.open_store() as store:
        items = service.case_items(store, paths, case)
    targets = {f"case:{case}"} | {f"evidence:{i.evidence_id}" for i in items}
    log.append(actor=actor, action="evidence.report", target=f"case:{case}", details={"items": len(items)})
    html = report.render_html(case_id=case, items=items, audit=log.verify(),
                              audit_entries=[e for e in log.entries() if e.get("target") in targets],
                              keys=_keys(conf).history_document()["keys"], generated=utc_now())
    files = report.write_report(html, out_dir, case)
    err.print(f"report written: {files.html}" + (f", {files.pdf}" if files.pdf else f" ({files.pdf_skipped})"))


@keys_app.command("rotate")
def keys_rotate(ctx: typer.Context,
                by: Annotated[str | None, typer.Option("--by", help="who rotates the key")] = None) -> None:
    """Make a new signing key current; earlier credentials keep verifying (their did:key names the old key)."""
    conf = settings(ctx)
    log = AuditLog(_paths(conf).audit_log)
    actor = by or _default_actor()
    with _audited(log, actor, "keys.rotate", "keys"):
        previous, new = _keys(conf).rotate()
    log.append(actor=actor, action="keys.rotate", target="keys",
               details={"retired": previous.did if previous else None, "current": new.did})
    err.print(f"current signing key: {new.did}" + (f" (retired {previous.did})" if previous else ""))


@keys_app.command("list")
def keys_list(ctx: typer.Context,
              as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False) -> None:
    """The signing-key history: every did:key with its service period (public information only)."""
    history = _keys(settings(ctx)).history_document()
    if as_json:
        emit_json(history)
        return
    table = Table(title="signing keys")
    for column in ("did:key", "created", "retired"):
        table.add_column(column, overflow="fold")
    for key in history["keys"]:
        table.add_row(escape(key["did"]), key["created"], key["retired"] or "(current)")
    out.print(table)


@audit_app.command("verify")
def audit_verify(ctx: typer.Context,
                 log_file: Annotated[Path | None, typer.Option("--log", help="audit log (default beside the store)")]
                 = None,
                 head: Annotated[str | None, typer.Option(
                     "--head", help="hash the last entry must have (detects entries cut from the end)")
                 ] = None) -> None:
    """Check the audit log's hash chain and its signed checkpoints; exit 1 naming the first broken entry or
    checkpoint. Says how many entries follow the last checkpoint (not yet covered by a signature)."""
    paths = _paths(settings(ctx))
    chain, signed = verify_log(AuditLog(log_file or paths.audit_log), expected_head=head, key_dir=paths.key_dir)
    if not chain.ok or not signed.ok:
        failed = chain if not chain.ok else signed
        err.print(f"[bold red]FAILED[/bold red] {failed.describe()}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    out.print(chain.describe(), highlight=False)
    out.print(signed.describe(), highlight=False, soft_wrap=True)


@audit_app.command("checkpoint")
def audit_checkpoint(ctx: typer.Context,
                     log_file: Annotated[Path | None, typer.Option("--log", help="audit log (default beside the "
                                                                                 "store)")] = None) -> None:
    """Sign the audit log's current head with the evidence key (needs TRACEGRAPH_KEY_PASSPHRASE)."""
    conf = settings(ctx)
    log = AuditLog(log_file or _paths(conf).audit_log)
    if log.head() is None:
        raise InvalidInput(f"audit log {log.path} is empty or missing: nothing to sign")
    written = write_checkpoint(log, _keys(conf).signer())
    if written is None:
        out.print("the head is already signed by the last checkpoint", highlight=False)
        return
    out.print(f"checkpoint {written['checkpoint']}: seq {written['seq']}, head {written['head']}", highlight=False)
