"""Upgrading a store for the incremental run (issue 21): the migrations of an older store's stored state, and the
refusal of a store whose last full analysis used other scoring rules. Each test builds its own store from the
streamed history (none shares tests/analytics/test_incremental.py's module fixture)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from algorithms import incremental
from algorithms.analyze import analyze, write_back
from algorithms.runs import latest_analysis
from graph.embedded_store import EmbeddedStore
from loaders.base import LoadOptions, run_load
from loaders.kinds import loader_for
from loaders.synthetic.stream import BATCH_KINDS
from tests.worlds import analysed_history, copy_store


def _stored_state(store: EmbeddedStore) -> dict[str, object]:
    """The analysis state an incremental run keeps in the store: dealer counts, serial groups, their links."""
    from algorithms import dealer_counts

    groups = store.node_table("SerialGroup", ("size", "runs")).to_pandas().sort_values("key", ignore_index=True)
    guns = store.node_table("Firearm", ("serial_group", "batch_id")).to_pandas()
    links = store.edge_list("IN_GROUP", "Firearm", "SerialGroup").to_pandas()
    cells = store.node_table("CorridorCell", ("level", "year", "src", "dst", "traces", "median_ttc_days", "ttc_days"))
    sums = store.node_table("Person", ("straw_network",)).to_pandas().dropna().sort_values("key", ignore_index=True)
    big = sorted(store.node_table("StrawGroup").column("key").to_pylist())
    return {"counts": dealer_counts.stored(store)[1].sort_index(), "groups": groups, "big": big,
            "cells": cells.to_pandas().sort_values("key", ignore_index=True), "sums": sums,
            "members": sorted(guns.dropna(subset=["serial_group"])[["key", "serial_group"]].itertuples(index=False)),
            "batched": sorted(guns.dropna(subset=["batch_id"])[["key", "batch_id"]].itertuples(index=False)),
            "links": sorted(links.itertuples(index=False, name=None))}


def test_the_migrations_store_what_the_first_incremental_run_would(tmp_path_factory: pytest.TempPathFactory,
                                                                   tmp_path: Path) -> None:
    """A store analysed before the dealer counts, network sums, serial groups, big straw groups and corridor cells
    were stored: migrating it first (``tracegraph init``'s :func:`algorithms.stored_state.migrate`, as
    `bench_incremental` does before measuring) and then running a batch leaves the same stored state as letting the
    batch's incremental run migrate it itself, and that run then migrates nothing."""
    from algorithms import dealer_counts, stored_state

    history = analysed_history(tmp_path_factory, "small", 3, batches=3, batch_traces=100)
    older = copy_store(history.db, tmp_path / "older.lbug")
    with EmbeddedStore(older) as store:
        # as analysed by a version without the stored state: no groups, no links, no counts, no flags
        store.query("serial_groups_clear")
        store.query("straw_groups_clear")
        store._execute("MATCH (f:Firearm) SET f.serial_group = NULL")
        store._execute("MATCH (d:Dealer) SET " + ", ".join(
            f"d.{name} = NULL" for name in dealer_counts.STORED.values()))
        store.query("corridor_cells_clear")
        store._execute("MATCH (p:Person) SET p.straw_network = NULL")
        latest = latest_analysis(store)
        assert latest is not None
        parameters = {k: v for k, v in json.loads(latest["parameters"]).items()
                      if k not in ("dealer_counts", dealer_counts.GUN_FLAG, "serial_groups", "corridor_cells",
                                   "straw_network", "straw_groups")}
        store.upsert_nodes("AnalysisRun", [{"run_id": latest["key"], "parameters": json.dumps(parameters)}])
    states, results = [], []
    for migrate_first in (True, False):
        with EmbeddedStore(copy_store(older, tmp_path / f"m{migrate_first}.lbug")) as store:
            if migrate_first:
                done = stored_state.migrate(store)
                assert all(done[step] > 0 for step in ("dealers_counted", "straw_network", "serial_groups",
                                                       "straw_groups", "corridor_cells")), done
                assert _stored_state(store)["links"]
                assert stored_state.migrate(store) == {"address_keys": 0}
                cells = store.node_table("CorridorCell").num_rows
            for kind, name in BATCH_KINDS:
                run_load(loader_for(kind), store, history.stream.batches[0] / name,
                         LoadOptions(rejects_dir=tmp_path / "rejects"))
            result = incremental.analyze_incremental(store)
            assert result.serial is not None and result.serial.full is not migrate_first
            assert ("straw_network" in result.timings) is not migrate_first
            assert result.straw_groups_whole is not migrate_first
            if migrate_first:  # only the cells the batch touched are written, not every one again
                assert 0 < len(result.cells) < cells
            incremental.write_back(store, result)
            states.append(_stored_state(store))
            results.append(result)
    migrated, itself = states
    assert len(migrated["groups"]) and len(migrated["links"]) and len(migrated["counts"])
    pd.testing.assert_frame_equal(migrated["groups"], itself["groups"])
    pd.testing.assert_frame_equal(migrated["counts"], itself["counts"])
    pd.testing.assert_frame_equal(migrated["cells"], itself["cells"])
    pd.testing.assert_frame_equal(migrated["sums"], itself["sums"])
    for name in ("members", "batched", "links", "big"):
        assert migrated[name] == itself[name], name
    assert [b.batch_id for b in results[0].batches or []] == [b.batch_id for b in results[1].batches or []]
    assert results[0].dealers is not None and results[1].dealers is not None
    pd.testing.assert_frame_equal(results[0].dealers.table.sort_values("dealer_key", ignore_index=True),
                                  results[1].dealers.table.sort_values("dealer_key", ignore_index=True))


def test_a_store_scored_under_other_rules_calls_for_a_full_run(tmp_path_factory: pytest.TempPathFactory) -> None:
    """An upgrade that changes a straw weight or what a tie carries: the stored points and network sums are of
    the old rules, so moving them by deltas would give scores no full run of this version gives. The incremental
    run refuses until a full analysis records the current rules."""
    from algorithms import stored_state

    history = analysed_history(tmp_path_factory, "small", 3, batches=3, batch_traces=100)
    root = tmp_path_factory.mktemp("rules")
    options = LoadOptions(rejects_dir=root / "rejects")
    db = copy_store(history.db, root / "db.lbug")
    with EmbeddedStore(db) as store:
        latest = latest_analysis(store)
        assert latest is not None and stored_state.pending_full_analysis(store) is None
        old = json.loads(latest["parameters"])
        old["straw"] = {**old["straw"], "not_carrying": []}  # scored when a common possessor carried evidence
        old.pop("straw_groups")  # and before the big straw groups were stored
        store.query("straw_groups_clear")
        store.upsert_nodes("AnalysisRun", [{"run_id": latest["key"], "parameters": json.dumps(old, sort_keys=True)}])
    # `tracegraph init` after the upgrade says the next analysis is a full one and spends nothing on state it rewrites
    upgraded = subprocess.run([sys.executable, "-c", "from api.cli import main; main()", "--db", str(db), "init"],
                              capture_output=True, text=True, timeout=120)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "next analysis must be a full one (the straw scoring rules changed" in upgraded.stderr
    assert "analysis state stored" not in upgraded.stderr
    with EmbeddedStore(db) as store:
        assert store.node_table("StrawGroup").num_rows == 0
        first, second = history.stream.batches[:2]
        run_load(loader_for("traces"), store, first / "traces.csv", options)
        with pytest.raises(incremental.NeedsFullAnalysis, match="straw scoring rules changed"):
            incremental.analyze_incremental(store)
        write_back(store, analyze(store))
        assert stored_state.pending_full_analysis(store) is None and store.node_table("StrawGroup").num_rows
        run_load(loader_for("traces"), store, second / "traces.csv", options)
        result = incremental.analyze_incremental(store)
        assert len(result.touched.new_runs) == 1 and not result.straw.empty


def test_serial_groups_linked_without_numbers_are_counted_again_once(tmp_path_factory: pytest.TempPathFactory,
                                                                     tmp_path: Path) -> None:
    """A store whose serial groups' links predate their members' numbers (``IN_GROUP.number``, analysis parameter
    ``serial_groups`` 2): the migration (`tracegraph init`), or else the first incremental run, counts every group
    again once. Either way a batch then finds the same serial batches and leaves the same groups, members and
    numbered links as on a store analysed by this version; the update itself refuses links without numbers."""
    from algorithms import serial_groups, stored_state
    from algorithms.runs import new_load_runs

    history = analysed_history(tmp_path_factory, "small", 3, batches=3, batch_traces=100)
    current = copy_store(history.db, tmp_path / "current.lbug")
    with EmbeddedStore(current) as store:
        numbered = store.edge_list("IN_GROUP", "Firearm", "SerialGroup", ("number",)).to_pandas()
        assert len(numbered) and numbered["number"].notna().all()
    older = copy_store(current, tmp_path / "older.lbug")
    with EmbeddedStore(older) as store:  # as written by the version before the numbers
        store._execute("MATCH (:Firearm)-[r:IN_GROUP]->(:SerialGroup) SET r.number = NULL")
        latest = latest_analysis(store)
        assert latest is not None
        parameters = {**json.loads(latest["parameters"]), "serial_groups": 2}
        store.upsert_nodes("AnalysisRun", [{"run_id": latest["key"], "parameters": json.dumps(parameters)}])
    states, found = [], []
    for name in ("current", "migrated", "itself"):
        with EmbeddedStore(copy_store(current if name == "current" else older, tmp_path / f"run-{name}.lbug")) as store:
            if name == "migrated":
                assert stored_state.migrate(store)["serial_groups"] > 0
                assert stored_state.migrate(store) == {"address_keys": 0}
            for kind, file in BATCH_KINDS:
                run_load(loader_for(kind), store, history.stream.batches[0] / file,
                         LoadOptions(rejects_dir=tmp_path / "rejects"))
            if name == "itself":
                traces = set(store.query("recoveries_of_runs", {"runs": new_load_runs(store)[1]}).df()["key"])
                with pytest.raises(ValueError, match="has no number"):
                    serial_groups.update(store, traces)
            result = incremental.analyze_incremental(store)
            assert result.serial is not None and result.serial.full is (name == "itself")
            incremental.write_back(store, result)
            links = store.edge_list("IN_GROUP", "Firearm", "SerialGroup", ("number",)).to_pandas()
            states.append({**_stored_state(store), "numbers": sorted(links.itertuples(index=False, name=None))})
            found.append(sorted((b.batch_id, b.score, tuple(sorted(b.firearm_keys))) for b in result.batches or []))
    assert found[0] and found[0] == found[1] == found[2]
    for state in states[1:]:
        pd.testing.assert_frame_equal(states[0]["groups"], state["groups"])
        for part in ("members", "batched", "links", "numbers"):
            assert states[0][part] == state[part], part
