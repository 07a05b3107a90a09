"""The retention and subjects commands on a real store: holds, subjects, bad input, the audit entries."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path

import pytest

from graph.embedded_store import EmbeddedStore
from tests.cli_run import tracegraph
from tests.retention.retention_world import AS_OF, write_world


def run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return tracegraph("--db", db, *args, cwd=db.parent, env={**os.environ, "TRACEGRAPH_DEBUG": "1"})


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "cases.lbug"
    with EmbeddedStore(path) as store:
        store.init_schema()
        write_world(store)
    return path


def audit_entries(db: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (db.parent / "audit.jsonl").read_text(encoding="utf-8").splitlines()]


def test_hold_keeps_the_identity_and_is_audited(db: Path) -> None:
    held = run(db, "retention", "hold", "gone", "--reason", "grand jury subpoena", "--until", "2099-01-01")
    assert held.returncode == 0, held.stderr
    plan = json.loads(run(db, "retention", "plan", "--as-of", AS_OF.isoformat(), "--json").stdout.splitlines()[-1])
    assert plan["total"] == 1 and plan["kept"]["hold"] == 2  # only 'lapsed' goes now
    entry = audit_entries(db)[-1]
    assert entry["action"] == "retention.hold" and entry["target"] == "person:gone"
    assert "grand jury" not in json.dumps(entry)  # the reason stays in the store, not in the log


@pytest.mark.parametrize("args", [
    ("retention", "hold", "nobody", "--reason", "x"),
    ("retention", "hold", "gone", "--reason", "x", "--until", "yesterday"),
    ("retention", "plan", "--as-of", "2024-13-01"),
    ("retention", "policy", "--set", "eu"),
    ("subjects", "add", "gone", "--predicate", " ", "--case", "C-9"),
    ("subjects", "add", "gone", "--predicate", "seen with X", "--case", "C-9", "--review-by", "2099-01-01"),
    ("subjects", "validate", "gone"),
])
def test_bad_input_is_one_line_and_exit_2(db: Path, args: tuple[str, ...]) -> None:
    result = run(db, *args)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_subject_needs_a_predicate_and_lists_by_review_date(db: Path) -> None:
    missing = run(db, "subjects", "add", "gone", "--case", "C-9")
    assert missing.returncode == 2  # --predicate is required
    added = run(db, "subjects", "add", "gone", "--predicate", "bought 9 pistols for a trafficker (CI report 12)",
                "--case", "C-9")
    assert added.returncode == 0, added.stderr
    listed = json.loads(run(db, "subjects", "list", "--json").stdout.splitlines()[-1])["subjects"]
    by_key = {row["person_key"]: row for row in listed}
    assert set(by_key) == {"gone", "subject", "lapsed"}
    today = dt.date.today()
    assert dt.date.fromisoformat(by_key["gone"]["review_by"]) <= today + dt.timedelta(days=5 * 365 + 1)
    due = json.loads(run(db, "subjects", "list", "--due", "--json").stdout.splitlines()[-1])["subjects"]
    assert [row["person_key"] for row in due] == ["lapsed", "subject"]  # overdue ones (review-by in the past)
    validated = run(db, "subjects", "validate", "lapsed")
    assert validated.returncode == 0, validated.stderr
    due = json.loads(run(db, "subjects", "list", "--due", "--json").stdout.splitlines()[-1])["subjects"]
    assert [row["person_key"] for row in due] == ["subject"]
    assert [e["action"] for e in audit_entries(db)] == ["subjects.add", "subjects.validate"]


def test_policy_shows_each_rule_with_its_basis_and_can_be_set(db: Path, tmp_path: Path) -> None:
    shown = json.loads(run(db, "retention", "policy", "--json").stdout.splitlines()[-1])
    assert shown["policy"] == "atf"
    assert [r["basis"] for r in shown["rules"]][1] == "28 CFR 23.20(h)"
    assert "GAO-96-174" in shown["rules"][0]["basis"]
    cleo = json.loads(run(db, "retention", "policy", "--set", "cleo", "--json").stdout.splitlines()[-1])
    assert cleo["policy"] == "cleo" and "923(g)(3)(B)" in cleo["rules"][0]["basis"]
    custom = tmp_path / "policy.json"
    custom.write_text('{"multiple_sale_purchaser_days": 90}', encoding="utf-8")
    shown = json.loads(run(db, "retention", "policy", "--set", str(custom), "--json").stdout.splitlines()[-1])
    assert shown["policy"] == "custom" and "90 days" in shown["rules"][0]["text"]
