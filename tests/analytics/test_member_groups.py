"""The membership index read by group (algorithms/straw_member_index.py, ``MemberIndex.members``): every member of a
group, as the rows of every person show them, through a store's life (the full analysis, each day's load, a
correction it follows); and the straw neighbourhood that reads its groups' members so (``Neighbourhood.by_group``)
finds the same changed persons, closure, features and ties as the one that finds them among candidates by the
straw lookup keys. (The incremental = full equality with it in use: tests/analytics/test_incremental.py's side-table
runs, whose full analysis writes the index with its group index.)"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from algorithms import incremental, straw_member_index
from algorithms.frames import key_array
from algorithms.runs import new_load_runs
from algorithms.straw_memberships import state_arrays
from algorithms.straw_neighbourhood import INDEXED_KINDS
from graph import side_table
from graph.embedded_store import EmbeddedStore
from tests.analytics.test_member_index import _correct, _dealers, _load, _sorted, computed, everyone
from tests.worlds import History


def by_group(store: EmbeddedStore, dealers: pd.DataFrame | None = None
             ) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """(what the index gives read by group, what the rows give) for every group of the kinds it holds that any
    person's rows show, and some no one is in; ``dealers``: the dealers as read (the store's if None)."""
    assert (side_table.folder(store.path) / straw_member_index.GROUP_INDEX).exists()
    dealers = _dealers(store) if dealers is None else dealers
    rows = computed(store, everyone(store), dealers)
    expected = [row for row in rows if row[1][:2] in INDEXED_KINDS]
    groups = {row[1] for row in expected} | {"jp|nobody|2020-01-01", "co|ZZ>NOWHERE|ZZ", "ad|nowhere|00000"}
    index = straw_member_index.open_index(side_table.open_tables(store))
    assert index is not None and index.groups is not None
    states = state_arrays(dealers.set_index("key")["premise_state"])
    return _sorted(index.members(key_array(groups), states)), sorted(expected)


def assert_true(store: EmbeddedStore) -> list[tuple[str, ...]]:
    got, expected = by_group(store)
    assert len(expected) > 1000 and {row[1][:2] for row in expected} == set(INDEXED_KINDS)
    assert got == expected, (sorted(set(got) - set(expected))[:5], sorted(set(expected) - set(got))[:5])
    return got


def test_a_groups_members_read_by_group_are_its_members_through_loads_and_corrections(
        store: EmbeddedStore, history: History, tmp_path: Path) -> None:
    before = assert_true(store)
    for batch in history.stream.batches[:2]:
        _load(store, batch, tmp_path / "rejects")
        after = assert_true(store)  # brought up to the day's delta parts
        assert after != before
        before = after
    with (history.stream.batches[0] / "traces.csv").open(newline="", encoding="utf-8") as handle:
        first = next(row for row in csv.DictReader(handle) if row["purchase_date"] and row["dealer_ffl"])
    # the purchaser's dealer-day group moves: a write the side table follows (the index is brought up to it)
    first["purchase_date"] = (date.fromisoformat(first["purchase_date"]) - timedelta(days=1)).isoformat()
    _correct(store, first, tmp_path)
    assert assert_true(store) != before


def test_a_corridors_members_are_read_by_group_when_its_dealers_are_in_another_state_than_at_the_write(
        store: EmbeddedStore) -> None:
    """The base part's corridor rows are found by the group their dealer's state at the write names: read with
    dealers in another state now (every dealer of the state with the most corridor memberships moved to another,
    the next one's states gone), a corridor's members are still exactly those the rows give with the dealers as
    read."""
    dealers = _dealers(store)
    corridors = [row[1] for row in computed(store, everyone(store)) if row[1].startswith("co|")]
    busiest = pd.Series([group[3:].split(">")[0] for group in corridors]).value_counts().index[:2]
    state = dealers["premise_state"]
    moved = dealers.assign(premise_state=state.where(state != busiest[0], "ZZ").where(state != busiest[1], None))
    got, expected = by_group(store, moved)
    assert any(row[1].startswith("co|ZZ>") for row in expected) and any(row[1].startswith("co|?>")
                                                                        for row in expected)
    assert got == expected, (sorted(set(got) - set(expected))[:5], sorted(set(expected) - set(got))[:5])


def test_an_index_not_brought_up_to_a_day_gives_other_members(
        store: EmbeddedStore, history: History, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above can fail: a day's delta whose owners are not computed again leaves groups' members as they
    were before the day (new members missing, moved ones in their old groups)."""
    monkeypatch.setattr(straw_member_index, "affected", lambda side, names: key_array([]))
    _load(store, history.stream.batches[0], tmp_path / "rejects")
    got, expected = by_group(store)
    assert got != expected
    assert set(expected) - set(got)  # (members the day added)


def test_the_neighbourhood_read_by_group_is_the_one_read_by_candidates(
        store: EmbeddedStore, history: History, tmp_path: Path) -> None:
    """On each of two days: the changed persons, closure, big groups, features and ties read by group equal those
    found among the candidates (the same index without its group index, so only the members' read differs)."""
    folder = side_table.folder(store.path)
    for batch in history.stream.batches[:2]:
        _load(store, batch, tmp_path / "rejects")
        seeds = incremental._seeds(store, set(new_load_runs(store)[1]))[0]
        found = []
        for grouped in (True, False):
            index = folder / straw_member_index.GROUP_INDEX
            kept = tmp_path / "group.index"
            if not grouped:
                index.rename(kept)
            try:
                hood, changed, closure, features = incremental.straw_stages(store, seeds, None,
                                                                            lambda _name, run: run())
            finally:
                if kept.exists():
                    kept.rename(index)
            assert hood.by_group() is grouped
            found.append((hood, changed, closure, features))
        (grouped_hood, *one), (candidates_hood, *other) = found
        assert one[0] == other[0] and len(one[0]) > len(seeds)  # changed
        assert one[1] == other[1]  # closure
        assert grouped_hood.too_big() == candidates_hood.too_big()
        pd.testing.assert_frame_equal(one[2].values.sort_index(), other[2].values.sort_index())
        ties = [f.pairs.sort_values(["a", "b", "kind"]).reset_index(drop=True) for f in (one[2], other[2])]
        pd.testing.assert_frame_equal(*ties)
        assert len(ties[0]) > 100
        # and the index's members were read: no candidate of the kinds it holds was looked up by straw key
        assert not any(k.startswith("candidates_") and k[-2:] in INDEXED_KINDS for k in grouped_hood.counts)
        assert any(k.startswith("members_") for k in grouped_hood.counts)
