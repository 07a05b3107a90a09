"""Signed checkpoints make a re-chained audit log detectable: an edit, a deletion or a cut before the last
checkpoint fails ``audit verify`` even when every hash after it was recomputed; the tail after the last checkpoint
is reported, not vouched for. On real files, with the evidence key; the server writes checkpoints by count and at
shutdown, and records the authenticated key and a bounded, escaped target for every answer."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from api.app import audit_log_path
from api.audit import GENESIS, AuditLog, GroupCommitWriter, chain
from api.audit_checkpoints import Checkpointer, checkpoints_path, read_checkpoints, verify_log, write_checkpoint
from api.security import KeyFile
from api.settings import Settings
from exports.evidence.keys import KeyStore, Signer
from tests.api.conftest import populate
from tests.api.server import serving
from tests.cli_run import tracegraph

PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def signer(tmp_path: Path) -> Signer:
    return KeyStore(tmp_path / "keys", PASSPHRASE).signer()


def items(n: int, start: int = 0) -> list[dict[str, object]]:
    return [{"actor": "tgk_0000000000000001", "action": "GET /api/v1/persons/{person_key}",
             "target": f"person:P{start + i}", "details": {"status": 200}} for i in range(n)]


def signed_log(tmp_path: Path, signer: Signer, entries: int = 2500) -> AuditLog:
    """A log written through the server's writer with a checkpointer: one checkpoint per 1,000, one at close."""
    log = AuditLog(tmp_path / "audit.jsonl")
    checkpointer = Checkpointer(log, signer)
    writer = GroupCommitWriter(log, on_written=checkpointer.written)
    for item in items(entries):
        writer.submit(**item)
    writer.close()
    checkpointer.close()
    return log


def rewrite(log: AuditLog, entries: list[dict[str, object]]) -> None:
    """Replace the log by ``entries`` re-chained from the start: every hash recomputed, as an attacker would."""
    lines = chain([{k: e[k] for k in ("time", "actor", "action", "target", "outcome", "details")} for e in entries],
                  0, GENESIS)
    log.path.write_text("".join(line.text for line in lines), encoding="utf-8")


def test_checkpoints_are_written_by_count_and_at_close_and_verify(tmp_path: Path, signer: Signer) -> None:
    log = signed_log(tmp_path, signer)
    checkpoints = read_checkpoints(checkpoints_path(log.path))
    assert [c["seq"] for c in checkpoints][-1] == 2500
    assert [c["seq"] for c in checkpoints] == [1000, 2000, 2500]  # every 1,000 entries, and at close
    chain_result, signed = verify_log(log, key_dir=tmp_path / "keys")
    assert chain_result.ok and signed.ok and signed.unsigned == 0
    log.append_many(items(7, start=9000))
    chain_result, signed = verify_log(log, key_dir=tmp_path / "keys")
    assert signed.ok and signed.unsigned == 7 and "7 entries follow it" in signed.describe()


@pytest.mark.parametrize("tamper", ["edit", "delete", "truncate", "drop_checkpoint", "foreign_key"])
def test_a_rechained_log_fails_before_the_last_checkpoint(tmp_path: Path, signer: Signer, tamper: str) -> None:
    log = signed_log(tmp_path, signer)
    entries = list(log.entries())
    assert verify_log(log)[0].ok
    if tamper == "edit":
        entries[1499]["actor"] = "someone-else"
        rewrite(log, entries)
    elif tamper == "delete":
        del entries[1499]
        rewrite(log, entries)
    elif tamper == "truncate":
        rewrite(log, entries[:-10])
    elif tamper == "drop_checkpoint":
        path = checkpoints_path(log.path)
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        path.write_text("".join(lines[:1] + lines[2:]), encoding="utf-8")
    elif tamper == "foreign_key":  # a rewritten log re-signed with a key that is not in our key history
        rewrite(log, entries[:-10])
        checkpoints_path(log.path).unlink()
        write_checkpoint(log, KeyStore(tmp_path / "other-keys", "x").signer())
    chain_result, signed = verify_log(log, key_dir=tmp_path / "keys")
    assert chain_result.ok  # the hash chain alone is fooled every time
    assert not signed.ok, tamper
    expected = {"edit": "rewritten", "delete": "rewritten", "truncate": "truncated",
                "drop_checkpoint": "does not follow", "foreign_key": "not ours"}[tamper]
    assert expected in signed.describe()


def tg(tmp_path: Path, *args: str, passphrase: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACEGRAPH_")}
    env["TRACEGRAPH_DB"] = str(tmp_path / "g.lbug")
    if passphrase:
        env["TRACEGRAPH_KEY_PASSPHRASE"] = PASSPHRASE
    return tracegraph(*args, env=env)


def test_audit_checkpoint_and_verify_commands(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")  # beside the store: the commands' default
    log.append_many(items(40))
    done = tg(tmp_path, "audit", "checkpoint")
    assert done.returncode == 0 and "checkpoint 1: seq 40" in done.stdout, done.stderr
    assert "already signed" in tg(tmp_path, "audit", "checkpoint").stdout
    ok = tg(tmp_path, "audit", "verify", passphrase=False)
    assert ok.returncode == 0 and "0 entries follow it" in ok.stdout
    entries = list(log.entries())
    entries[5]["target"] = "person:someone-else"
    rewrite(log, entries)
    failed = tg(tmp_path, "audit", "verify", passphrase=False)
    assert failed.returncode == 1 and "rewritten" in failed.stderr
    no_key = tg(tmp_path, "audit", "checkpoint", passphrase=False)
    assert no_key.returncode == 2 and "TRACEGRAPH_KEY_PASSPHRASE" in no_key.stderr


def test_checkpoint_after_a_quiet_period_of_activity(tmp_path: Path, signer: Signer) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    checkpointer = Checkpointer(log, signer, every_seconds=0.3)
    writer = GroupCommitWriter(log, on_written=checkpointer.written)
    writer.submit(**items(1)[0])
    writer.flush()
    deadline = time.monotonic() + 15
    while not read_checkpoints(checkpoints_path(log.path)) and time.monotonic() < deadline:
        time.sleep(0.1)
    writer.close()
    checkpointer.close()
    assert read_checkpoints(checkpoints_path(log.path))[0]["seq"] == 1


def test_server_audits_the_key_for_every_answer_bounds_targets_and_signs_at_shutdown(tmp_path: Path) -> None:
    from graph.embedded_store import EmbeddedStore

    with EmbeddedStore(tmp_path / "g.lbug") as store:
        store.init_schema()
        populate(store)
    settings = Settings(db=tmp_path / "g.lbug", key_passphrase=SecretStr(PASSPHRASE))
    record, secret = KeyFile.for_settings(settings).create("analyst", "audit test")
    headers = {"X-API-Key": f"{record.key_id}.{secret}"}
    with serving(settings) as base, httpx.Client(base_url=base, timeout=30) as http:
        answers = [http.get("/api/v1/no-such-route", headers=headers).status_code,
                   http.delete("/api/v1/health", headers=headers).status_code,
                   http.get("/api/v1/straw-queue?limit=abc", headers=headers).status_code,
                   http.get("/openapi.json", headers=headers).status_code,
                   http.get("/api/v1/firearms/" + "Z" * 60_000).status_code,
                   http.get("/api/v1/firearms/X%0Aactor=admin").status_code]
    assert answers[:4] == [404, 405, 422, 200]
    log = AuditLog(audit_log_path(settings))
    entries = list(log.entries())[-6:]
    assert [e["actor"] for e in entries[:4]] == [record.key_id] * 4
    assert all(e["actor"] == "anonymous" for e in entries[4:])
    assert len(entries[4]["target"]) <= 256 and entries[4]["target"].endswith("chars)")
    assert "\n" not in entries[5]["target"] and "\\x0a" in entries[5]["target"]
    assert all(len(line) < 2000 for line in log.path.read_text(encoding="utf-8").splitlines())
    checkpoints = read_checkpoints(checkpoints_path(log.path))
    assert checkpoints and checkpoints[-1]["seq"] == entries[-1]["seq"]  # signed at shutdown
    assert all(json.dumps(c).count("proofValue") == 1 for c in checkpoints)
    assert verify_log(log, key_dir=tmp_path / "keys")[1].ok
