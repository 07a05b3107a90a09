"""The incremental analysis' two lanes (algorithms/trace_lane.py beside the person lane): in one thread or two,
and with the trace lane written while the person lane still runs, the results and the stored graph are the same."""

from __future__ import annotations

import functools
import threading
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from algorithms import alerts, incremental, trace_lane
from algorithms.incremental import IncrementalResult, analyze_incremental
from graph import embedded_store
from graph.embedded_store import EmbeddedStore
from graph.schema import NodeLabel
from graph.store import StoredRows
from graph.write_count import stored_values
from loaders.base import LoadOptions, run_load
from loaders.kinds import loader_for
from loaders.synthetic.stream import BATCH_KINDS
from tests.worlds import analysed_history, copy_store


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A streamed world's history, analysed, with its first daily batch loaded (not analysed yet)."""
    root = tmp_path_factory.mktemp("lanes")
    history = analysed_history(tmp_path_factory, "small", 3, batches=3, batch_traces=100)  # as test_alerts.py
    path = copy_store(history.db, root / "template.lbug")
    with EmbeddedStore(path) as store:
        for kind, name in BATCH_KINDS:
            run_load(loader_for(kind), store, history.stream.batches[0] / name, LoadOptions(rejects_dir=root))
    return path


def _frames(result: IncrementalResult) -> dict[str, pd.DataFrame]:
    frames = {"straw": result.straw, "joins": result.joins, "recoveries": result.recoveries, "cells": result.cells,
              "hubs": result.hubs, "straw_groups": result.straw_groups}
    frames |= {f"corridor {name}": found.table for name, found in result.corridors.items()}
    assert result.dealers is not None
    frames["dealers"] = result.dealers.table
    return {name: frame.reset_index(drop=True) for name, frame in frames.items()}


def test_the_lanes_give_the_same_results_in_one_thread_or_two(analysed: Path, tmp_path: Path) -> None:
    threads: list[str] = []
    with EmbeddedStore(copy_store(analysed, tmp_path / "s.lbug")) as store:
        alone = analyze_incremental(store, parallel=False, trace_done=lambda *_: threads.append("called"))
        assert threads == []  # one lane after the other: nothing to write meanwhile
        seen: list[str] = []
        original = incremental._person_lane

        def person_lane(*args: object) -> incremental.PersonLane:
            seen.append(threading.current_thread().name)
            return original(*args)  # type: ignore[arg-type]

        incremental._person_lane = person_lane  # type: ignore[assignment]
        try:
            beside = analyze_incremental(store, trace_done=lambda lane, run: threads.append(run))
        finally:
            incremental._person_lane = original  # type: ignore[assignment]
    assert seen and seen[0].startswith("person-lane")  # it ran in a thread of its own
    assert threads == [beside.run_id]
    assert beside.touched == alone.touched and beside.run_id == alone.run_id
    assert len(alone.straw) and len(alone.dealers.table) and alone.corridors  # type: ignore[union-attr]
    mine, theirs = _frames(alone), _frames(beside)
    assert mine.keys() == theirs.keys()
    for name, frame in mine.items():
        pd.testing.assert_frame_equal(frame, theirs[name], check_dtype=False, obj=name)
    assert [b.batch_id for b in alone.batches or []] == [b.batch_id for b in beside.batches or []]


def _graph(store: EmbeddedStore) -> dict[str, pd.DataFrame]:
    tables = {}
    for label, columns in {
            "Person": ("straw_score", "straw_points", "straw_indicators", "straw_network", "analysis_run_id"),
            "Dealer": ("anomaly_score", "expected_traces", "trace_count", "anomaly_indicators"),
            "Firearm": ("batch_id", "serial_group"), "CorridorCell": ("analysis_run_id",),
            "SerialGroup": ("size", "runs"), "Alert": ("rule", "subject_key", "evidence")}.items():
        tables[label] = store.node_table(label, columns).to_pandas().sort_values("key").reset_index(drop=True)
    flows = store.edge_list("FLOW", "Location", "Location", ("year", "level", "basis", "score", "expected"))
    tables["FLOW"] = flows.to_pandas()
    tables["MEMBER_OF"] = store.edge_list("MEMBER_OF", "Person", "Network").to_pandas()
    return tables


def test_the_daily_step_stores_the_same_graph_with_the_trace_lane_written_early(
        analysed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with EmbeddedStore(copy_store(analysed, tmp_path / "early.lbug")) as store:
        taken: list[tuple[str, bool]] = []  # for each upsert handed rows as read: its label, whether it took them

        def values(written: object, node: NodeLabel, *args: object) -> object:
            found = stored_values(written, node, *args)  # type: ignore[arg-type]
            if args[-1] is not None:
                taken.append((node.name, found is not None))
            return found

        monkeypatch.setattr(embedded_store, "stored_values", values)
        early, raised = alerts.analyze_and_alert(store)
        monkeypatch.undo()
        assert early.lane_written and "write_back_traces" in early.timings
        # the trace lane's writes, made after the person lane read the Person rows, wrote no Person: the Person
        # upsert took the rows as read; and the Dealer upsert, the trace lane's first write, took the rows its dealer
        # stage read
        assert len(early.straw) and sorted(taken) == [("Dealer", True), ("Person", True)]
        got = _graph(store)
    monkeypatch.setattr(alerts, "analyze_incremental", functools.partial(analyze_incremental, parallel=False))
    with EmbeddedStore(copy_store(analysed, tmp_path / "after.lbug")) as store:
        after, raised_after = alerts.analyze_and_alert(store)
        assert not after.lane_written and "write_back_traces" not in after.timings
        expected = _graph(store)
    assert raised == raised_after > 0
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(got[name], frame, obj=name)


def test_a_failure_after_the_trace_lane_was_written_leaves_nothing(analysed: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    with EmbeddedStore(copy_store(analysed, tmp_path / "s.lbug")) as store:
        before = _graph(store)
        runs = store.node_table("AnalysisRun").num_rows

        def failing(*_args: object) -> None:
            raise RuntimeError("the person lane failed")

        written: list[str] = []

        def write(store: EmbeddedStore, lane: object, run: str) -> None:
            trace_lane.write(store, lane, run)  # type: ignore[arg-type]
            written.append(run)

        monkeypatch.setattr(incremental, "_person_lane", failing)
        monkeypatch.setattr(alerts, "write_trace_lane", write)
        with pytest.raises(RuntimeError, match="person lane failed"):
            alerts.analyze_and_alert(store)
        assert written  # the trace lane's results were written before the failure, in the transaction it ended
        after = _graph(store)
        assert store.node_table("AnalysisRun").num_rows == runs
    for name, frame in before.items():
        pd.testing.assert_frame_equal(after[name], frame, obj=name)


def test_the_rescored_persons_are_written_in_the_order_their_rows_were_read() -> None:
    people = pd.DataFrame({"person_key": ["c", "a", "x", "b"], "straw_score": [1.0, 2.0, 3.0, 4.0]})
    read = StoredRows(table=pa.table({"person_key": ["b", "a", "c", "a"]}), asked=pa.array(["a", "b", "c", "x"]),
                      writes=0)
    assert incremental.in_order_read(people, read)["person_key"].tolist() == ["b", "a", "c", "x"]  # unread last
    assert incremental.in_order_read(people, None) is people
