"""New rows by row count (graph/embedded_writes.py): a day-size batch through the write-ahead log (its commit
leaves the log for a later checkpoint), a history-size batch by ``COPY`` (its commit checkpoints). Either commit
keeps every row when the process is killed right after it. A log whose last write did not finish is cut back to
its last commit when the store is next opened (graph/embedded_log.py), and ``TRACEGRAPH_DAYS_IN_LOG=0`` turns the
log path off."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from graph.embedded_log import committed_bytes
from graph.embedded_store import EmbeddedStore
from graph.embedded_writes import DAYS_IN_LOG_ENV, WAL_ROWS, wal_path
from graph.errors import StoreUnavailable

ROOT = Path(__file__).resolve().parents[2]

WRITE_AND_DIE = """
import os, signal, sys
from graph.embedded_store import EmbeddedStore

rows = int(sys.argv[2])
store = EmbeddedStore(sys.argv[1])
store.init_schema()
store.checkpoint()
real = EmbeddedStore._execute


def execute(self, text, params=None):
    result = real(self, text, params)
    if text == "COMMIT":  # right after batch()'s commit, before any close could checkpoint
        os.kill(os.getpid(), signal.SIGKILL)
    return result


EmbeddedStore._execute = execute
with store.batch():
    store.upsert_nodes("Person", [{"person_key": f"p{i}", "last_name": "ROE"} for i in range(rows)])
    store.upsert_nodes("Firearm", [{"firearm_key": f"f{i}", "serial_number": f"S{i}"} for i in range(rows)])
    store.upsert_relationships("PURCHASED", "Person", "Firearm",
                               [{"from_key": f"p{i}", "to_key": f"f{i}", "sale_id": f"s{i}"} for i in range(rows)])
"""


@pytest.fixture(autouse=True)
def _days_in_log(monkeypatch: pytest.MonkeyPatch) -> None:
    """The log path is on by default; set here so a user's ``TRACEGRAPH_DAYS_IN_LOG=0`` does not change what these
    tests test (the processes they start inherit it)."""
    monkeypatch.setenv(DAYS_IN_LOG_ENV, "1")


@pytest.mark.parametrize(("rows", "through_log"), [(200, True), (WAL_ROWS, False)])
def test_a_commit_killed_right_after_keeps_every_row(tmp_path: Path, rows: int, through_log: bool) -> None:
    db = tmp_path / "s.lbug"
    killed = subprocess.run([sys.executable, "-c", WRITE_AND_DIE, str(db), str(rows)], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert killed.returncode == -9, killed.stderr[-2000:]
    wal = db.with_name(db.name + ".wal")
    logged = wal.stat().st_size if wal.exists() else 0
    assert (logged > 0) is through_log  # a history-size batch's commit checkpointed: nothing left to replay
    with EmbeddedStore(db, read_only=True) as store:
        counts = store.counts()
        assert counts["nodes"]["Person"] == counts["nodes"]["Firearm"] == rows
        assert counts["relationships"]["PURCHASED"] == rows
        assert store.node_table("Person", ("last_name",)).column("last_name").to_pylist() == ["ROE"] * rows


def test_closing_and_reopening_leave_the_log_to_the_checkpoint(tmp_path: Path) -> None:
    """A day's store is closed (batch()'s reopen, the command's end) without a checkpoint; ``checkpoint`` empties
    the log and the rows stay."""
    with EmbeddedStore(tmp_path / "s.lbug") as store:
        store.init_schema()
        store.checkpoint()
        with store.batch():
            store.upsert_nodes("Person", [{"person_key": f"p{i}"} for i in range(100)])
        logged = store.wal_bytes()
        assert logged > 0
    with EmbeddedStore(tmp_path / "s.lbug") as store:
        assert store.wal_bytes() == logged
        assert store.checkpoint() == logged
        assert store.wal_bytes() == 0
        assert store.counts()["nodes"]["Person"] == 100


def test_an_update_logs_only_the_properties_that_change(tmp_path: Path) -> None:
    """A rescoring that changes one of a dealer's properties logs about that one, not every property it names
    (each property a ``SET`` names is a log record per row, even when it writes the stored value back); rows that
    change different properties each keep the others."""
    dealers = [{"dealer_key": f"d{i}", "trace_count": i, "expected_traces": 1.0, "anomaly_score": 0.0,
                "short_ttc_share": 0.5, "multiple_sale_share": 0.25, "obliterated_share": 0.0} for i in range(5_000)]
    with EmbeddedStore(tmp_path / "s.lbug") as store:
        store.init_schema()
        store.upsert_nodes("Dealer", dealers)
        grown = []
        for value, recounted in ((1.0, 10), (2.0, len(dealers))):  # a new score each; other shares for some
            store.checkpoint()
            store.upsert_nodes("Dealer", [
                {**row, "anomaly_score": value, **({"expected_traces": value, "short_ttc_share": value,
                                                    "multiple_sale_share": value, "obliterated_share": value}
                                                   if i < recounted else {})} for i, row in enumerate(dealers)])
            grown.append(store.wal_bytes())
        assert grown[0] * 2 < grown[1]  # naming every changed property for every row logged as much as the second
        store.upsert_nodes("Dealer", [{"dealer_key": row["dealer_key"], "trace_count": -1 if i % 2 else None,
                                       "anomaly_score": None if i % 2 else 9.0} for i, row in enumerate(dealers)])
        stored = store.node_table("Dealer", ("trace_count", "anomaly_score", "expected_traces")).to_pylist()
    assert {(r["trace_count"] == -1, r["anomaly_score"], r["expected_traces"]) for r in stored} == {
        (True, 2.0, 2.0), (False, 9.0, 2.0)}


def _day(store: EmbeddedStore, start: int, rows: int = 100) -> None:
    with store.batch():
        store.upsert_nodes("Person", [{"person_key": f"p{i}", "last_name": "ROE"} for i in range(start, start + rows)])


def test_a_log_torn_after_its_last_commit_is_cut_back_and_every_commit_kept(tmp_path: Path,
                                                                            caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "s.lbug"
    with EmbeddedStore(db) as store:
        store.init_schema()
        store.checkpoint()
        _day(store, 0)
        _day(store, 100)
    committed = wal_path(db).stat().st_size
    assert committed_bytes(db) == committed > 0
    with open(wal_path(db), "ab") as log:  # a write that did not finish: a record's first bytes, then nothing
        log.write(wal_path(db).read_bytes()[-3000:-1000])
    with caplog.at_level("WARNING", logger="tracegraph.store"), EmbeddedStore(db) as store:
        assert store.counts()["nodes"]["Person"] == 200
        _day(store, 200)  # and the store takes new days
    assert "cut back to its last commit" in caplog.text and "2,000 bytes" in caplog.text
    assert wal_path(db).stat().st_size > committed  # cut to it, then the new day
    with EmbeddedStore(db, read_only=True) as store:
        assert store.counts()["nodes"]["Person"] == 300


def test_a_torn_log_without_a_recorded_commit_is_refused_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "s.lbug"
    with EmbeddedStore(db) as store:
        store.init_schema()
        store.checkpoint()
        _day(store, 0)
    db.with_name(db.name + ".wal.committed").unlink()  # e.g. a log written by an older version
    with open(wal_path(db), "ab") as log:
        log.write(wal_path(db).read_bytes()[-3000:-1000])
    with pytest.raises(StoreUnavailable, match="cannot be replayed and no size of its last commit is recorded"):
        EmbeddedStore(db)


def test_switched_off_a_days_commit_checkpoints(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DAYS_IN_LOG_ENV, "0")
    with EmbeddedStore(tmp_path / "s.lbug") as store:
        store.init_schema()
        _day(store, 0)
        assert store.wal_bytes() == 0  # copied, and its commit checkpointed
        assert store.counts()["nodes"]["Person"] == 100
