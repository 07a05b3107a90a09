"""The hash-chained audit log: any edit, deletion, reordering or insertion is found and named."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from api.audit import AuditLog, entry_hash

CLI = [sys.executable, "-c", "from api.cli import main; main()"]


@pytest.fixture
def log(tmp_path: Path) -> AuditLog:
    audit = AuditLog(tmp_path / "audit.jsonl")
    for n in range(6):
        audit.append(actor=f"user{n % 2}", action="evidence.add", target=f"evidence:{n}", details={"n": n})
    return audit


def _lines(log: AuditLog) -> list[str]:
    return log.path.read_text().splitlines()


def _write(log: AuditLog, lines: list[str]) -> None:
    log.path.write_text("\n".join(lines) + "\n")


def test_intact_log_verifies_and_chains(log: AuditLog) -> None:
    result = log.verify()
    assert result.ok and result.entries == 6
    entries = list(log.entries())
    assert [e["seq"] for e in entries] == list(range(1, 7))
    assert all(b["prev_hash"] == a["hash"] for a, b in itertools.pairwise(entries))
    assert log.head() == {"seq": 6, "hash": entries[-1]["hash"]}


def test_edited_entry_is_named(log: AuditLog) -> None:
    lines = _lines(log)
    entry = json.loads(lines[2])
    entry["actor"] = "someone else"
    lines[2] = json.dumps(entry)
    _write(log, lines)
    result = log.verify()
    assert not result.ok and result.seq == 3 and result.line == 3 and "edited" in result.reason


def test_edited_entry_with_recomputed_hash_breaks_the_next_link(log: AuditLog) -> None:
    lines = _lines(log)
    entry = json.loads(lines[2])
    entry["outcome"] = "failed"
    entry["hash"] = entry_hash(entry)
    lines[2] = json.dumps(entry)
    _write(log, lines)
    result = log.verify()
    assert not result.ok and result.seq == 4 and "prev_hash" in result.reason


def test_deleted_entry_is_named(log: AuditLog) -> None:
    lines = _lines(log)
    del lines[3]
    _write(log, lines)
    result = log.verify()
    assert not result.ok and result.line == 4 and result.seq == 5


def test_reordered_entries_are_named(log: AuditLog) -> None:
    lines = _lines(log)
    lines[1], lines[2] = lines[2], lines[1]
    _write(log, lines)
    result = log.verify()
    assert not result.ok and result.line == 2 and result.seq == 3


def test_inserted_entry_is_named(log: AuditLog) -> None:
    lines = _lines(log)
    forged = {"seq": 3, "time": "2026-01-01T00:00:00Z", "actor": "x", "action": "evidence.add", "target": "t",
              "outcome": "ok", "details": {}, "prev_hash": json.loads(lines[1])["hash"]}
    forged["hash"] = entry_hash(forged)
    lines.insert(2, json.dumps(forged))
    _write(log, lines)
    result = log.verify()
    assert not result.ok and result.line == 4


def test_truncation_is_caught_against_a_kept_head(log: AuditLog) -> None:
    head = log.head()
    assert head is not None
    _write(log, _lines(log)[:-1])
    assert log.verify().ok  # the file alone cannot show it
    assert not log.verify(expected_head=head["hash"]).ok


def test_cli_audit_verify_names_the_broken_entry(log: AuditLog) -> None:
    lines = _lines(log)
    del lines[1]
    _write(log, lines)
    bad = subprocess.run([*CLI, "audit", "verify", "--log", str(log.path)], capture_output=True, text=True,
                         timeout=120, env=os.environ.copy())
    assert bad.returncode == 1
    assert "line 2 (seq 3)" in bad.stderr and "Traceback" not in bad.stderr
