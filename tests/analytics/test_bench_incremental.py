"""bench/bench_incremental.py's preparation of a history copy: done in one process (``--fresh``: the copy prepared
by a child, so that batch 1 is the first run of the measuring process, as cron's ``tracegraph load day``), its side
table is current when the store is opened again, and the batch reads the neighbourhood's rows from its files."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from api.services import daily
from api.settings import Settings
from graph import side_table
from graph.embedded_store import EmbeddedStore
from loaders.base import LoadOptions
from loaders.day import day_files
from tests.worlds import analysed_history, copy_store

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from bench_incremental import prepare


def test_a_copy_prepared_and_closed_is_analysed_from_its_side_table_when_opened_again(
        tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    history = analysed_history(tmp_path_factory, "small", 3, batches=3, batch_traces=100)
    db = copy_store(history.db, tmp_path / "bench.lbug")
    with EmbeddedStore(db) as store:
        assert prepare(store, 3, 12.5) == 12.5  # (analysed by this version: the baseline stays the build's)
        assert store.wal_bytes() == 0
    assert side_table.current(db) is not None
    with EmbeddedStore(db) as store:
        daily.load_files(store, day_files(history.stream.batches[0]), LoadOptions(rejects_dir=tmp_path),
                         one_transaction=True)
        result, why = daily.after_load(store, Settings(db=db), "incremental")
    assert result is not None, why
    assert result["summary"]["neighbourhood"]["read_from_files"] == 1
    assert result["summary"]["neighbourhood"]["memberships_from_index"] == 1  # (written as the full analysis does)
