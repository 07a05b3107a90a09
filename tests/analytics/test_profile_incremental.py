"""bench/profile_incremental.py: an incremental analysis timed statement by statement, the store left as it was;
bench/closure_needs.py: the closure's persons split by what their rows are needed for (issue 21's question of
per-group summaries). Both on one copy of an analysed history with a day loaded (neither writes to it)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from algorithms import incremental
from algorithms.tables import isin
from graph.embedded_store import EmbeddedStore
from loaders.base import LoadOptions, run_load
from loaders.kinds import loader_for
from loaders.synthetic.stream import BATCH_KINDS
from tests.worlds import analysed_history, copy_store

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from closure_needs import COUNTING_KINDS, needs, person_lane
from profile_incremental import digest, profile


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the analysed history with its first day loaded, not analysed."""
    history = analysed_history(tmp_path_factory, "small", 3, batches=3, batch_traces=100)
    root = tmp_path_factory.mktemp("loaded")
    with EmbeddedStore(copy_store(history.db, root / "db.lbug")) as store:
        for kind, name in BATCH_KINDS:
            run_load(loader_for(kind), store, history.stream.batches[0] / name, LoadOptions(rejects_dir=root))
    return root / "db.lbug"


def test_every_statement_is_timed_per_stage_and_a_repeat_gives_the_same_results(loaded: Path) -> None:
    with EmbeddedStore(loaded) as store:
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


def test_only_windowed_and_big_groups_bring_persons_no_changed_person_is_tied_to(loaded: Path) -> None:
    with EmbeddedStore(loaded) as store:
        hood, changed, closure, features, cpu = person_lane(store)
    found = needs(hood, changed, closure, features)
    assert set(cpu) == {"changed", "closure", "straw_features"}
    assert found["closure"] == len(closure) == found["changed"] + found["partners"] + found["count_only"]
    assert found["partners"] > 0 and found["changed"] > 0
    assert found["count_only"] > 0  # (the streamed world has such persons: 36 of 473 with seed 3)
    # a dealer-day, address, common-possessor, lead or purchaser-possessor group small enough to tie ties all its
    # members: whoever no changed person is tied to is in a counting group only (what a summary could stand for)
    kinds = {part for label in found["count_only_by_kinds"] for part in label.split("+")}
    assert kinds <= COUNTING_KINDS | {"big"}
    assert sum(found["count_only_by_kinds"].values()) == found["count_only"]
    pairs = features.pairs
    tied = pairs[isin(pairs["a"], changed) | isin(pairs["b"], changed)]
    assert found["partners"] == len((set(tied["a"]) | set(tied["b"])) - changed)
    for table in found["rows"].values():
        assert table["changed"] + table["partners"] + table["count_only"] <= table["all"]


def test_the_closure_bench_runs_the_person_lanes_own_stages(loaded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """closure_needs measures the lane's stages (:func:`algorithms.incremental.straw_stages`), not a copy of them:
    the same changed persons and closure as the analysis reports."""
    calls: list[set[str]] = []
    stages = incremental.straw_stages

    def spied(store, seeds, *args):  # type: ignore[no-untyped-def]
        calls.append(set(seeds))
        return stages(store, seeds, *args)

    monkeypatch.setattr(incremental, "straw_stages", spied)
    with EmbeddedStore(loaded) as store:
        _hood, changed, closure, features, _cpu = person_lane(store)
        result = incremental.analyze_incremental(store, parallel=False)
    assert len(calls) == 2 and calls[0] == calls[1] == result.touched.seeds
    assert changed == result.touched.changed and len(closure) == result.touched.closure
    assert set(features.values.index) == changed & set(features.values.index)
