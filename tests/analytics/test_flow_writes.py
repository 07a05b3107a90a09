"""The trace corridors an analysis writes are exactly those its models hold: a stored one the models no longer hold
(at national scale, a city that left the year's busiest-250 set; a corridor whose only trace a correction moved)
is deleted by the full analysis' write back and by the daily step's alike, while the loaded tables' corridors
stay (algorithms/flow_writes.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from algorithms import alerts, flow_writes
from algorithms.analyze import analyze, write_back
from graph import side_table
from graph.embedded_store import EmbeddedStore
from loaders.base import LoadOptions, run_load
from loaders.kinds import loader_for
from loaders.synthetic.stream import BATCH_KINDS
from tests import flow_support
from tests.worlds import analysed_history, copy_store, copy_store_whole


@pytest.fixture(scope="module")
def left_behind(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the analysed history with a corridor an earlier analysis left behind at each level and one loaded table's
    corridor, the same with the first daily batch loaded)."""
    root = tmp_path_factory.mktemp("flows")
    history = analysed_history(tmp_path_factory, "small", 3, batches=3, batch_traces=100)
    path = copy_store(history.db, root / "stale.lbug")
    with EmbeddedStore(path) as store:
        stale = flow_support.leave_behind(store)
        assert {level for level in flow_support.flows(store)["level"]} >= {"state", "city"} and len(stale) == 2
        src, dst, year, _basis = min(stale)
        store.upsert_relationships("FLOW", "Location", "Location", pd.DataFrame([{
            "from_key": src, "to_key": dst, "year": year, "level": "state", "basis": "table:partner",
            "firearms": 12}]))
        side_table.rewrite(store)  # the person lane's files, as a full `tracegraph analyze` leaves them
    day = copy_store_whole(path, root / "day.lbug")
    with EmbeddedStore(day) as store:
        for kind, name in BATCH_KINDS:
            run_load(loader_for(kind), store, history.stream.batches[0] / name, LoadOptions(rejects_dir=root))
    return path, day


def _left(store: EmbeddedStore) -> tuple[set[tuple[str, str, int, str]], set[tuple[str, str, int, str]]]:
    """(the left-behind corridors still stored, the stored table corridors of 'table:partner')."""
    flows = flow_support.flows(store)
    return flow_support.left(store), flow_support.keys(flows[flows["basis"] == "table:partner"])


def test_a_full_analysis_deletes_the_trace_corridors_its_models_no_longer_hold(
        left_behind: tuple[Path, Path], tmp_path: Path) -> None:
    with EmbeddedStore(copy_store(left_behind[0], tmp_path / "full.lbug")) as store:
        injected, table = _left(store)
        assert len(injected) == 2 and len(table) == 1
        result = analyze(store)
        write_back(store, result)
        flows = flow_support.flows(store)
        held = pd.concat([found.table.assign(basis=name.split("/")[0]) for name, found in result.corridors.items()])
        held = held[held["basis"] == flow_writes.TRACES]
        # the stored trace corridors are the models' own, no more, no fewer
        assert flow_support.keys(flows[flows["basis"] == flow_writes.TRACES]) == flow_support.keys(held)
        assert _left(store) == (set(), table)  # the loaded table's corridor stays


def test_the_daily_step_deletes_them_too_and_stores_what_a_full_analysis_stores(
        left_behind: tuple[Path, Path], tmp_path: Path) -> None:
    with EmbeddedStore(copy_store_whole(left_behind[1], tmp_path / "daily.lbug")) as store:
        injected, table = _left(store)
        assert len(injected) == 2
        assert side_table.current(store.path) is not None
        result, _raised = alerts.analyze_and_alert(store)
        assert result.corridors, "the batch's traces refit the corridors"
        daily = flow_support.flows(store)
        assert _left(store) == (set(), table)
        # the delete changes no row the side table holds: the next day's person lane still reads it
        assert side_table.current(store.path) is not None
    with EmbeddedStore(copy_store(left_behind[1], tmp_path / "full.lbug")) as store:
        write_back(store, analyze(store))
        full = flow_support.flows(store)
    ours = daily["basis"] == flow_writes.TRACES
    assert flow_support.keys(daily[ours]) == flow_support.keys(full[full["basis"] == flow_writes.TRACES])


def test_the_written_rows_are_the_whole_of_the_trace_corridors_and_the_tables_stay(tmp_path: Path) -> None:
    """A write of the models' rows over stored trace corridors (some named again, some not) and a loaded table's
    corridors on the same pairs and years: the trace corridors are then the rows written, with their values, a
    null one (a trend of fewer than three years) null, and the table's rows are as they were."""
    def flow(src: str, dst: str, year: int, basis: str, firearms: int, trend: str | None) -> dict[str, object]:
        return {"from_key": src, "to_key": dst, "year": year, "level": "state", "basis": basis,
                "firearms": firearms, "trend": trend, "analysis_run_id": "run-1"}

    stored = [flow("a", "b", 2019, flow_writes.TRACES, 5, "stable"), flow("a", "c", 2019, flow_writes.TRACES, 3,
                                                                            "emerging"),
              flow("b", "a", 2020, flow_writes.TRACES, 2, "stable")]
    tables = [flow("a", "b", 2019, "atf_table", 40, None), flow("b", "a", 2020, "atf_table", 9, None)]
    written = [flow("a", "b", 2019, flow_writes.TRACES, 6, None), flow("c", "a", 2020, flow_writes.TRACES, 1,
                                                                         "declining")]
    with EmbeddedStore(tmp_path / "flows.lbug") as store:
        store.init_schema()
        store.upsert_nodes("Location", pd.DataFrame({"location_key": ["a", "b", "c"]}))
        store.upsert_relationships("FLOW", "Location", "Location", pd.DataFrame(stored + tables))
        flow_writes.write(store, pd.DataFrame(written).assign(analysis_run_id="run-2"))
        got = store.edge_list("FLOW", "Location", "Location", ("year", "basis", "firearms", "trend",
                                                                "analysis_run_id")).to_pylist()
    rows = {(r["src"], r["dst"], r["year"], r["basis"]): (r["firearms"], r["trend"], r["analysis_run_id"])
            for r in got}
    assert rows == {**{(f["from_key"], f["to_key"], f["year"], f["basis"]): (f["firearms"], f["trend"], "run-2")
                       for f in written},
                    **{(f["from_key"], f["to_key"], f["year"], f["basis"]): (f["firearms"], None, "run-1")
                       for f in tables}}
