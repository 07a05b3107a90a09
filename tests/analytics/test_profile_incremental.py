"""bench/profile_incremental.py: an incremental analysis timed statement by statement, the store left as it was."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from graph.embedded_store import EmbeddedStore
from loaders.base import LoadOptions, run_load
from loaders.kinds import loader_for
from loaders.synthetic.stream import BATCH_KINDS
from tests.worlds import analysed_history, copy_store

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from profile_incremental import digest, profile


def test_every_statement_is_timed_per_stage_and_a_repeat_gives_the_same_results(
        tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    history = analysed_history(tmp_path_factory, "small", 3, batches=3, batch_traces=100)
    with EmbeddedStore(copy_store(history.db, tmp_path / "db.lbug")) as store:
        for kind, name in BATCH_KINDS:
            run_load(loader_for(kind), store, history.stream.batches[0] / name, LoadOptions(rejects_dir=tmp_path))
        runs = store.node_table("AnalysisRun").num_rows
        first, table = profile(store)
        again, _ = profile(store)
        assert store.node_table("AnalysisRun").num_rows == runs  # nothing written: the run can be repeated
        assert "query" not in vars(store)  # the store's own reads again
    assert first.touched.changed and digest(first) == digest(again)
    by_stage = table.groupby("stage")["statement"].agg(set)
    # the closure's own-row reads are listed under the stages that send them, with the keys and rows they carry
    assert {"straw_persons", "straw_purchases", "straw_sold"} <= by_stage["changed"] & by_stage["closure"]
    purchases = table[table["statement"] == "straw_purchases"]
    assert (purchases["calls"] > 0).all() and (purchases["keys"] > 0).all() and purchases["rows"].sum() > 0
    assert table["cpu_s"].is_monotonic_decreasing
