"""The evidence commands as a user meets them: add -> transfer -> rotate -> package -> verify -> report.

Run as subprocesses (the real entry point, its exit codes and one-line errors)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from evidence_fixtures import PASSPHRASE, LocalTSA

from api.audit import AuditLog
from graph.embedded_store import EmbeddedStore

CLI = [sys.executable, "-c", "from api.cli import main; main()"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    db = tmp_path / "data" / "graph.lbug"
    with EmbeddedStore(db) as store:
        store.init_schema()
        store.upsert_nodes("Recovery", [{"trace_id": "T-1"}])
    return {"TRACEGRAPH_DB": str(db), "TRACEGRAPH_KEY_PASSPHRASE": PASSPHRASE, "COLUMNS": "200"}


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120, env={**os.environ, **env})


# One interpreter runs the whole session (the commands are invoked one after another through typer's runner),
# which keeps the test fast; the error test below goes through the real entry point.
_SESSION = """
import json, sys
from typer.testing import CliRunner
from api.cli import app
runner = CliRunner()
results = []
for args in json.load(sys.stdin):
    r = runner.invoke(app, args)
    error = None if r.exception is None or isinstance(r.exception, SystemExit) else repr(r.exception)
    results.append({"code": r.exit_code, "stdout": r.stdout, "stderr": r.stderr, "error": error})
print(json.dumps(results))
"""


def _session(steps: list[list[str]], env: dict[str, str]) -> list[dict[str, str | int | None]]:
    done = subprocess.run([sys.executable, "-c", _SESSION], input=json.dumps(steps), capture_output=True, text=True,
                          timeout=300, env={**os.environ, **env})
    assert done.returncode == 0, done.stderr
    results: list[dict[str, str | int | None]] = json.loads(done.stdout.strip().splitlines()[-1])
    return results


def test_whole_chain_from_the_command_line(env: dict[str, str], local_tsa: LocalTSA, other_ca: Path,
                                           tmp_path: Path) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8 evidence photo")
    pkg, report_dir = tmp_path / "out" / "C-9.zip", tmp_path / "report"
    added = _session([["evidence", "add", str(photo), "--case", "C-9", "--of", "recovery:T-1", "--by", "Det. A",
                       "--json"]], env)[0]
    assert added["code"] == 0, added
    evidence_id = json.loads(str(added["stdout"]).strip().splitlines()[-1])["evidence_id"]

    moved, rotated, packed, verified, wrong, reported, audit = _session([
        ["evidence", "transfer", evidence_id, "--from", "Det. A", "--to", "Lab B", "--reason", "analysis"],
        ["evidence", "keys", "rotate", "--by", "admin"],
        ["evidence", "package", "--case", "C-9", "--out", str(pkg), "--by", "clerk", "--internal"],
        ["evidence", "verify", str(pkg), "--tsa-ca", str(local_tsa.ca)],
        ["evidence", "verify", str(pkg), "--tsa-ca", str(other_ca)],
        ["evidence", "report", "--case", "C-9", "--out", str(report_dir), "--by", "clerk"],
        ["audit", "verify"],
    ], {**env, "TRACEGRAPH_TSA_URL": local_tsa.url})
    for step in (moved, rotated, packed, reported):
        assert step["code"] == 0 and step["error"] is None, step
    assert verified["code"] == 0, verified
    assert "FAILED" not in str(verified["stdout"]) and "CHECKS PASSED" in str(verified["stderr"])
    assert "custody chain unbroken" in str(verified["stdout"]) and "TSA signature" in str(verified["stdout"])
    assert "did:key:" in str(verified["stdout"]).replace("\n", "").replace("│", "").replace(" ", "")
    assert "\N{KEY}" not in str(verified["stdout"])  # rich's :key: emoji markup (issue 18)
    assert wrong["code"] == 1
    assert "VERIFICATION FAILED at timestamp/merkle-root.tsr" in str(wrong["stderr"])

    html = (report_dir / "custody-report-C-9.html").read_text()
    assert evidence_id in html and "Lab B" in html and "analysis" in html
    assert "<script" not in html and "<link" not in html and "src=" not in html  # opens offline

    assert audit["code"] == 0 and "5 entries" in str(audit["stdout"]), audit
    log = AuditLog(Path(env["TRACEGRAPH_DB"]).parent / "audit.jsonl")
    actions = [e["action"] for e in log.entries()]
    assert actions == ["evidence.add", "evidence.transfer", "keys.rotate", "evidence.package", "evidence.report"]

    pdf = report_dir / "custody-report-C-9.pdf"
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        pytest.skip(f"PDF not checked: WeasyPrint cannot import ({exc}); install libpango-1.0-0 libpangoft2-1.0-0")
    assert pdf.read_bytes().startswith(b"%PDF")


def test_errors_are_one_line_and_audited(env: dict[str, str], tmp_path: Path) -> None:
    photo = tmp_path / "p.bin"
    photo.write_bytes(b"x")
    missing = _run("evidence", "add", str(photo), "--case", "C-1", "--of", "recovery:T-404", "--by", "Det. A",
                   env=env)
    assert missing.returncode == 2 and "Recovery T-404 not found" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1

    no_secret = _run("evidence", "add", str(photo), "--case", "C-1", "--of", "recovery:T-1", "--by", "Det. A",
                     env={**env, "TRACEGRAPH_KEY_PASSPHRASE": ""})
    assert no_secret.returncode == 2 and "TRACEGRAPH_KEY_PASSPHRASE is not set" in no_secret.stderr
    assert len(no_secret.stderr.strip().splitlines()) == 1

    log = AuditLog(Path(env["TRACEGRAPH_DB"]).parent / "audit.jsonl")
    outcomes = [(e["action"], e["outcome"], e["details"].get("error")) for e in log.entries()]
    assert outcomes == [("evidence.add", "failed", "NotFound"), ("evidence.add", "failed", "InvalidInput")]
    assert log.verify().ok
