"""The straw neighbourhood's membership index (algorithms/straw_member_index.py) holds what a glance computes, for
every person, through a store's life: written by the full analysis, brought up to each day's load by the next
incremental run, gone with the side table after a correction or a purge (the neighbourhood then computes every
glance), written again by the next full analysis. (The incremental = full equality with the index in use:
tests/analytics/test_incremental.py, its side-table runs.)"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from algorithms import incremental, straw_member_index
from algorithms.frames import key_array
from algorithms.straw_memberships import state_arrays
from algorithms.straw_neighbourhood import Neighbourhood
from api.services.analysis import full_analysis
from graph import side_table
from graph.embedded_store import EmbeddedStore
from graph.store import GraphStore
from loaders.base import LoadOptions, run_load
from loaders.kinds import loader_for
from loaders.synthetic.stream import BATCH_KINDS
from tests.worlds import History


def _dealers(store: GraphStore) -> pd.DataFrame:
    return store.node_table("Dealer", ("premise_state", "lat", "lon")).to_pandas()


def _sorted(found: pd.DataFrame) -> list[tuple[str, ...]]:
    return sorted(tuple("" if pd.isna(v) else str(v) for v in row)
                  for row in found[["person_key", "group", "a1", "a2"]].itertuples(index=False))


def computed(store: GraphStore, persons: set[str], dealers: pd.DataFrame | None = None) -> list[tuple[str, ...]]:
    """What a glance at ``persons`` computes from their rows read from the engine (no side table, no index), with
    ``dealers`` as the dealers (the store's if None)."""
    hood = Neighbourhood(store, _dealers(store) if dealers is None else dealers)
    hood._read(persons)
    return _sorted(hood._memberships_of(persons, leads=False))


def indexed(store: EmbeddedStore, persons: set[str]) -> list[tuple[str, ...]] | None:
    """What the index gives for ``persons`` (None: no index, the neighbourhood computes every glance)."""
    index = straw_member_index.open_index(side_table.open_tables(store))
    if index is None:
        return None
    states = state_arrays(_dealers(store).set_index("key")["premise_state"])
    return _sorted(index.of(key_array(persons), states))


def everyone(store: GraphStore) -> set[str]:
    return set(store.node_table("Person").column("key").to_pylist())


def assert_true(store: EmbeddedStore) -> list[tuple[str, ...]]:
    """The index exists and gives every person's glance memberships as their rows do; returns them."""
    persons = everyone(store)
    got = indexed(store, persons)
    assert got is not None
    expected = computed(store, persons)
    assert len(expected) > 1000
    assert got == expected, (sorted(set(got) - set(expected))[:5], sorted(set(expected) - set(got))[:5])
    return got


def _load(store: EmbeddedStore, batch: Path, rejects: Path) -> None:
    for kind, name in BATCH_KINDS:
        run_load(loader_for(kind), store, batch / name, LoadOptions(rejects_dir=rejects))


def test_the_index_follows_the_loads(store: EmbeddedStore, history: History, tmp_path: Path) -> None:
    before, parts = assert_true(store), 1
    for batch in history.stream.batches[:2]:
        _load(store, batch, tmp_path / "rejects")
        manifest = side_table.current(store.path)
        assert manifest is not None and len(manifest["parts"]) > parts  # the day's delta parts (one a load)
        parts = len(manifest["parts"])
        after = assert_true(store)  # brought up to them
        # the day changed the memberships of persons the index held before (not only new persons'): an index not
        # brought up would differ
        old = {row[0] for row in before}
        assert {row for row in after if row[0] in old} != {row for row in before if row[0] in old}
        before = after


def _correct(store: EmbeddedStore, row: dict[str, str], tmp_path: Path) -> None:
    fixed = tmp_path / "fixed.csv"
    with fixed.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    report = run_load(loader_for("traces"), store, fixed, LoadOptions(rejects_dir=tmp_path / "rejects"))
    assert report.details.get("corrected") == 1


def test_the_index_follows_corrections_or_goes_and_the_full_analysis_writes_it_again(
        store: EmbeddedStore, history: History, tmp_path: Path) -> None:
    batch = history.stream.batches[0]
    _load(store, batch, tmp_path / "rejects")
    before = assert_true(store)
    with (batch / "traces.csv").open(newline="", encoding="utf-8") as handle:
        first = next(row for row in csv.DictReader(handle) if row["purchase_date"] and row["dealer_ffl"])
    # the purchaser's dealer-day group moves: a write the side table follows (the index is brought up to it)
    first["purchase_date"] = (date.fromisoformat(first["purchase_date"]) - timedelta(days=1)).isoformat()
    _correct(store, first, tmp_path)
    moved = assert_true(store)
    assert moved != before
    first["purchaser_last_name"] = "CORRECTED"  # another purchaser: a write it cannot follow
    _correct(store, first, tmp_path)
    assert indexed(store, everyone(store)) is None and not side_table.folder(store.path).exists()
    full_analysis(store)
    assert assert_true(store) != moved


def test_an_index_of_other_side_table_parts_is_not_read(store: EmbeddedStore) -> None:
    """An index whose parts are not the side table's, or whose files are gone, is deleted unread."""
    folder = side_table.folder(store.path)
    state = (folder / straw_member_index.STATE).read_text(encoding="utf-8")
    (folder / straw_member_index.STATE).write_text(state.replace('"base"', '"other"'), encoding="utf-8")
    assert indexed(store, everyone(store)) is None
    assert not (folder / straw_member_index.STATE).exists()
    side_table.rewrite(store)  # (the folder written anew: no index)
    assert indexed(store, everyone(store)) is None
    (folder / straw_member_index.STATE).write_text(state, encoding="utf-8")  # naming files that are not there
    assert indexed(store, everyone(store)) is None
    assert not (folder / straw_member_index.STATE).exists()


def _mapped(folder: Path) -> set[str]:
    """The files of ``folder`` this process has memory-mapped."""
    with open("/proc/self/maps", encoding="utf-8") as maps:
        return {Path(line.split()[-1]).name for line in maps if str(folder) in line}


def test_the_person_lane_lets_go_of_the_index_once_its_memberships_are_read(
        store: EmbeddedStore, history: History, tmp_path: Path) -> None:
    """The index's files stay mapped, their pages counted in the process's memory, only while the person lane reads
    memberships: its features read, the maps are closed (national batch 1: ~0.6 GB off its peak RSS), and a read of
    the closed index fails rather than finding nothing."""
    _load(store, history.stream.batches[0], tmp_path / "rejects")
    folder = side_table.folder(store.path)
    seeds = set(sorted(everyone(store))[:50])
    hood, changed, closure, features = incremental.straw_stages(store, seeds, None, lambda _name, run: run())
    assert hood.index is not None and hood.by_group() and changed and closure and len(features.values)
    assert not {name for name in _mapped(folder) if name.startswith("members-")}
    assert {name for name in _mapped(folder) if not name.startswith("members-")}  # (the side table's stay open)
    with pytest.raises(ValueError, match="closed"):
        hood.index.of(key_array(seeds), state_arrays(_dealers(store).set_index("key")["premise_state"]))
