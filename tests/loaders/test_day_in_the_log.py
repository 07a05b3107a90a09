"""A day's commits go through the write-ahead log and leave the checkpoint for later (graph/embedded_writes.py):
a process killed right after the day's commit loses nothing, the next command works, the API's read-only open
sees a day that is only in the log, and the answers are the same after `tracegraph store checkpoint`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app
from api.settings import Settings
from graph.embedded_store import EmbeddedStore
from graph.embedded_writes import DAYS_IN_LOG_ENV
from loaders.base import interrupted_loads
from tests.keys import api_key, auth
from tests.worlds import copy_store

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _days_in_log(monkeypatch: pytest.MonkeyPatch) -> None:
    """The log path is on by default; set here so a user's ``TRACEGRAPH_DAYS_IN_LOG=0`` does not change what these
    tests test (the CLI processes they start inherit it)."""
    monkeypatch.setenv(DAYS_IN_LOG_ENV, "1")


def _counts(db: Path) -> dict[str, dict[str, int]]:
    with EmbeddedStore(db, read_only=True) as store:
        return store.counts()


def _wal(db: Path) -> int:
    wal = db.with_name(db.name + ".wal")
    return wal.stat().st_size if wal.exists() else 0


def _cli(db: Path, *args: str) -> str:
    done = CliRunner().invoke(app, ["--db", str(db), *args])
    assert done.exit_code == 0, done.output
    return done.stdout


KILLED_AFTER_COMMIT = """
import os, signal, sys
from api.cli import app
from graph.embedded_store import EmbeddedStore

real = EmbeddedStore._execute
schema = [False]


def execute(self, text, params=None):
    if text == "BEGIN TRANSACTION":
        schema[0] = False
    elif "TABLE IF NOT EXISTS" in text:  # the store's tables, their own transaction (init_schema): not the day's
        schema[0] = True
    result = real(self, text, params)
    if text == "COMMIT" and not schema[0]:  # right after the day's commit, before any close could checkpoint
        os.kill(os.getpid(), signal.SIGKILL)
    return result


EmbeddedStore._execute = execute
app(["--db", sys.argv[1], "load", "day", sys.argv[2], "--analyze", "none", "--rejects-dir", sys.argv[3]])
"""


def test_a_day_killed_right_after_its_commit_keeps_every_row(analysed: tuple[Path, list[Path]],
                                                             tmp_path: Path) -> None:
    """The day's commit is a write to the log, not a checkpoint: killed right after it, the store holds the whole
    day when reopened (the open replays the log), and the next command runs on it. Were the day's new rows
    ``COPY``'d, the commit would have checkpointed (an empty log here) or, with the engine's checkpoint off, lost
    them."""
    history, days = analysed
    db = copy_store(history, tmp_path / "killed.lbug")
    killed = subprocess.run([sys.executable, "-c", KILLED_AFTER_COMMIT, str(db), str(days[0]), str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert _wal(db) > 0  # the day is in the log only

    reference = copy_store(history, tmp_path / "reference.lbug")
    _cli(reference, "load", "day", str(days[0]), "--analyze", "none", "--rejects-dir", str(tmp_path))
    assert _counts(db) == _counts(reference) != _counts(history)
    with EmbeddedStore(db) as store:
        assert interrupted_loads(store) == []
    runs = [json.loads(_cli(s, "analyze", "--incremental", "--json").splitlines()[-1]) for s in (db, reference)]
    assert runs[0]["summary"] == runs[1]["summary"]
    assert runs[0]["alerts"] == runs[1]["alerts"]


def _answers(db: Path, key: str) -> dict[str, object]:
    """What an analyst sees: the alerts and the straw queue through the CLI and through the API (whose workers
    open the store read-only)."""
    with TestClient(create_app(Settings(db=db)), raise_server_exceptions=True) as client:
        api_alerts = client.get("/api/v1/alerts", headers=auth(key)).json()
        api_straw = client.get("/api/v1/straw-queue", headers=auth(key)).json()
    return {"cli_alerts": _cli(db, "alerts", "--format", "json"), "cli_straw": _cli(db, "straw", "--format", "json"),
            "api_alerts": api_alerts, "api_straw": api_straw}


def test_a_day_only_in_the_log_reads_the_same_as_after_a_checkpoint(analysed: tuple[Path, list[Path]],
                                                                   tmp_path: Path) -> None:
    history, days = analysed
    db = copy_store(history, tmp_path / "day.lbug")
    _cli(db, "load", "day", str(days[0]), "--rejects-dir", str(tmp_path))  # with its incremental analysis
    log = _wal(db)
    assert log > 0
    key = api_key(Settings(db=db), "analyst")
    in_log = _counts(db), _answers(db, key)
    assert in_log[0] != _counts(history)  # the read-only open sees the day
    assert in_log[1]["api_alerts"]["items"], "the day raised alerts the API shows"

    record = json.loads(_cli(db, "store", "checkpoint", "--json"))
    assert record["log_bytes"] >= log and record["log_bytes_after"] == 0 == _wal(db)
    assert (_counts(db), _answers(db, key)) == in_log


def test_the_full_analysis_checkpoints_at_its_end(analysed: tuple[Path, list[Path]], tmp_path: Path) -> None:
    """The weekly run takes the days' log into the file where nobody waits."""
    history, days = analysed
    db = copy_store(history, tmp_path / "weekly.lbug")
    _cli(db, "load", "day", str(days[0]), "--analyze", "none", "--rejects-dir", str(tmp_path))
    assert _wal(db) > 0
    record = json.loads(_cli(db, "analyze", "--json").splitlines()[-1])
    assert record["checkpoint"]["log_bytes"] > 0
    assert _wal(db) == 0
