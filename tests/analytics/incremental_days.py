"""The small streamed world's daily batches, each loaded and analysed incrementally after the history's full
analysis, built once a session for the modules that check the incremental runs against a full re-analysis
(tests/analytics/test_incremental.py, test_incremental_recounts.py): each copies the store the batches left (with its
side table and run records) and reads what the runs returned, as the run that built it saw them."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from algorithms import incremental, straw_features, straw_member_index, tables
from algorithms.analyze import AnalysisResult, analyze
from algorithms.straw_neighbourhood import Neighbourhood
from algorithms.tables import load_tables
from graph import side_table
from graph.embedded_store import EmbeddedStore
from loaders.base import LoadOptions, run_load
from loaders.kinds import loader_for
from loaders.synthetic.stream import BATCH_KINDS, Stream
from tests.worlds import analysed_history, built_value, copy_store, copy_store_whole

#: how the batches' neighbourhoods are read: from the engine, or from the side table the full analysis wrote
#: (graph/side_table.py), kept current by each batch's load
READS = ["engine", "side table"]


@dataclass
class Days:
    """What the batches' runs returned and what they were compared with (pickled by the build)."""

    stream: Stream
    base_run: str
    results: list[incremental.IncrementalResult]
    reference: AnalysisResult  # a full analysis of the same store after the last batch (nothing written)
    before: pd.Series          # the networks of the full analysis of the history (person_key -> network_id)
    history: pd.DataFrame      # the straw table of the full analysis of the history
    whole_tables: list[str]    # a load_tables call during the incremental runs (the stack's caller, each)
    base_groups: set[str]      # the straw groups too big to tie the full analysis of the history stored
    stages: list[tuple[set[str], straw_features.PersonFeatures]]  # each run's changed persons and their features


@dataclass
class Streamed(Days):
    store: EmbeddedStore       # the module's own copy of the store the batches left (open)


def _build(factory: pytest.TempPathFactory, reads: str, folder: Path) -> Days:
    history = analysed_history(factory, "small", 3, batches=3, batch_traces=100)
    stream, base = history.stream, history.full_analysis()
    store = EmbeddedStore(copy_store(history.db, folder / "db.lbug"))
    options = LoadOptions(rejects_dir=folder / "rejects")
    if reads == "side table":
        side_table.rewrite(store)
        straw_member_index.write(store)  # (the index brought up to each batch's delta by its analysis)
    results = []
    whole: list[str] = []

    def spy(store: EmbeddedStore) -> tables.AnalysisTables:
        whole.append(inspect.stack()[1].function)
        return load_tables(store)

    stages, straw_stages = [], incremental.straw_stages

    def staged(*args: Any) -> tuple[Neighbourhood, set[str], set[str], straw_features.PersonFeatures]:
        found = straw_stages(*args)
        stages.append((found[1], found[3]))
        return found

    with pytest.MonkeyPatch.context() as patch:  # the store is analysed (migrated): no whole table is read
        patch.setattr(tables, "load_tables", spy)
        patch.setattr(incremental, "load_tables", spy)
        patch.setattr(incremental, "straw_stages", staged)
        for batch in stream.batches:
            for kind, name in BATCH_KINDS:
                run_load(loader_for(kind), store, batch / name, options)
            result = incremental.analyze_incremental(store)
            incremental.write_back(store, result)
            results.append(result)
    read_from_files = [r.summary["neighbourhood"]["read_from_files"] for r in results]
    assert read_from_files == [int(reads == "side table")] * len(results)
    from_index = [r.summary["neighbourhood"]["memberships_from_index"] for r in results]
    assert from_index == read_from_files  # the index, brought up to each batch, where the side table is read
    assert base.big_groups is not None
    reference = analyze(store)
    store.close()
    return Days(stream, base.run_id, results, reference, base.membership, base.straw.table, whole,
                set(base.big_groups["group_id"]), stages)


def streamed_days(request: pytest.FixtureRequest, factory: pytest.TempPathFactory) -> Iterator[Streamed]:
    """For a module fixture parametrized by :data:`READS`: the batches loaded and analysed (built once a session
    for each way of reading), on a copy of the store of the module's own."""
    folder, days = built_value(factory, f"incremental days small 3 3 100 {request.param}",
                               lambda folder: _build(factory, request.param, folder))
    store = EmbeddedStore(copy_store_whole(folder / "db.lbug", factory.mktemp("incremental") / "db.lbug"))
    # the copy reads as the store the runs wrote: its side table current where the runs read one
    assert (side_table.open_tables(store) is not None) is (request.param == "side table")
    yield Streamed(**{field.name: getattr(days, field.name) for field in fields(Days)}, store=store)
    store.close()
