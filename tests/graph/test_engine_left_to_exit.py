"""A store closed by a process that ends with its command leaves its engine to the exit (graph/embedded_log.py
``leave_to_exit``): what it committed is kept, and the same process can still open the store again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from graph import embedded_log
from graph.embedded_store import EmbeddedStore

DEALERS = [{"dealer_key": f"d{i}", "license_number": f"L{i}"} for i in range(50)]


def dealers(db: Path) -> set[str]:
    with EmbeddedStore(db, read_only=True) as store:
        return set(store.query("dealers_known", {"keys": [row["dealer_key"] for row in DEALERS]}).df()["key"])


@pytest.fixture
def ending(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process says it ends with its command, as `tracegraph load` does (api/cli/root.py)."""
    monkeypatch.setattr(embedded_log, "_ENDS_WITH_PROCESS", [False])
    monkeypatch.setattr(embedded_log, "_LEFT", [])
    embedded_log.ends_with_process()


def test_a_day_committed_by_a_process_that_leaves_without_destroying_its_engine_is_kept(tmp_path: Path) -> None:
    """The process commits, ends the store's ``with`` (the engine left, not closed) and leaves with ``os._exit``,
    as `tracegraph load` does: another process then opens the store and reads every row (the log was synced at the
    commit; the kernel released the file's lock)."""
    db = tmp_path / "left.lbug"
    with EmbeddedStore(db) as store:
        store.init_schema()
    code = ("import os, sys\nfrom graph import embedded_log\nfrom graph.embedded_store import EmbeddedStore\n"
            "embedded_log.ends_with_process()\n"
            f"with EmbeddedStore({str(db)!r}) as store:\n"
            "    with store.batch():\n"
            f"        store.upsert_nodes('Dealer', {DEALERS!r})\n"
            "assert len(embedded_log._LEFT) == 1\n"
            "sys.stdout.flush()\nos._exit(0)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])})
    assert done.returncode == 0, done.stderr
    assert dealers(db) == {row["dealer_key"] for row in DEALERS}


def test_the_same_process_opens_the_store_again_after_leaving_its_engine(tmp_path: Path, ending: None) -> None:
    """A store opened again by the process that left its engine to the exit (a second command in one process, a
    caller that goes on): the left engine is closed first, so the file is not refused as busy, and the rows are
    there; a store whose ``with`` ends in an error is closed as before."""
    db = tmp_path / "again.lbug"
    with EmbeddedStore(db) as store:
        store.init_schema()
        with store.batch():
            store.upsert_nodes("Dealer", DEALERS)
    [(_path, _connection, written)] = embedded_log._LEFT
    assert dealers(db) == {row["dealer_key"] for row in DEALERS}  # (a read-only open: its engine left in turn)
    assert all(left[2] is not written for left in embedded_log._LEFT)
    with pytest.raises(RuntimeError, match="stop"), EmbeddedStore(db) as store:
        raise RuntimeError("stop")
    assert embedded_log._LEFT == []
    embedded_log.close_left()  # (nothing left: a no-op)
