"""bench/profile_incremental.py: an incremental analysis timed statement by statement, the store left as it was;
bench/closure_needs.py: the closure's persons split by what their rows are needed for (issue 21's question of
per-group summaries). Both on one copy of an analysed history with a day loaded (neither writes to it).

Each tool runs once for the module (an incremental analysis of this world is ~5 CPU s): the profile first, then
the closure bench's person lane and a plain incremental analysis of the same store, whose results must equal the
profiled run's (a repeat gives the same results: the profile wrote nothing and changed nothing)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from algorithms import incremental, straw_features
from algorithms.straw_neighbourhood import Neighbourhood
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


@dataclass
class Profiled:
    result: incremental.IncrementalResult
    table: pd.DataFrame
    runs: tuple[int, int]      # AnalysisRun rows before and after the profile
    query_restored: bool       # the store's own `query` again after it


@pytest.fixture(scope="module")
def profiled(loaded: Path) -> Profiled:
    """bench/profile_incremental.py's profile of the loaded day, once."""
    with EmbeddedStore(loaded) as store:
        before = store.node_table("AnalysisRun").num_rows
        result, table = profile(store)
        return Profiled(result, table, (before, store.node_table("AnalysisRun").num_rows),
                        "query" not in vars(store))


@dataclass
class Lane:
    hood: Neighbourhood
    changed: set[str]
    closure: set[str]
    features: straw_features.PersonFeatures
    cpu: dict[str, float]
    calls: list[set[str]]                  # the seeds each call of the lane's stages got
    result: incremental.IncrementalResult  # a plain incremental analysis of the store, after the lane


@pytest.fixture(scope="module")
def lane(loaded: Path, profiled: Profiled) -> Lane:
    """bench/closure_needs.py's person lane, then :func:`algorithms.incremental.analyze_incremental` (as the daily
    step runs it, lanes in turn) on the same store, after the profile, with the lane's stages spied on."""
    calls: list[set[str]] = []
    stages = incremental.straw_stages

    def spied(store, seeds, *args):  # type: ignore[no-untyped-def]
        calls.append(set(seeds))
        return stages(store, seeds, *args)

    with pytest.MonkeyPatch.context() as patch, EmbeddedStore(loaded) as store:
        patch.setattr(incremental, "straw_stages", spied)
        hood, changed, closure, features, cpu = person_lane(store)
        result = incremental.analyze_incremental(store, parallel=False)
    return Lane(hood, changed, closure, features, cpu, calls, result)


def test_every_statement_is_timed_per_stage_and_the_store_is_left_as_it_was(profiled: Profiled) -> None:
    table = profiled.table
    assert profiled.runs[0] == profiled.runs[1]  # nothing written: the run can be repeated
    assert profiled.query_restored  # the store's own reads again
    assert profiled.result.touched.changed
    by_stage = table.groupby("stage")["statement"].agg(set)
    # the closure's own-row reads are listed under the stages that send them, with the keys and rows they carry
    assert {"straw_persons", "straw_purchases", "straw_sold"} <= by_stage["changed"] & by_stage["closure"]
    purchases = table[table["statement"] == "straw_purchases"]
    assert (purchases["calls"] > 0).all() and (purchases["keys"] > 0).all() and purchases["rows"].sum() > 0
    assert table["cpu_s"].is_monotonic_decreasing


def test_a_repeat_after_the_profile_gives_the_same_results(profiled: Profiled, lane: Lane) -> None:
    """The store the profile ran on, analysed again without the profile's timing: the same digest (the changed
    set, the scores, the joins, the alerts' rows), so the profile neither wrote nor changed what the run finds."""
    assert lane.result.touched.changed and digest(lane.result) == digest(profiled.result)


def test_only_windowed_and_big_groups_bring_persons_no_changed_person_is_tied_to(lane: Lane) -> None:
    hood, changed, closure, features = lane.hood, lane.changed, lane.closure, lane.features
    found = needs(hood, changed, closure, features)
    assert set(lane.cpu) == {"changed", "closure", "straw_features"}
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


def test_the_closure_bench_runs_the_person_lanes_own_stages(lane: Lane) -> None:
    """closure_needs measures the lane's stages (:func:`algorithms.incremental.straw_stages`), not a copy of them:
    the same changed persons and closure as the analysis reports."""
    result = lane.result
    assert len(lane.calls) == 2 and lane.calls[0] == lane.calls[1] == result.touched.seeds
    assert lane.changed == result.touched.changed and len(lane.closure) == result.touched.closure
    assert set(lane.features.values.index) == lane.changed & set(lane.features.values.index)
