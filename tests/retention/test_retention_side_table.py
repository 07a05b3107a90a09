"""A purge deletes the embedded store's side table (graph/side_table.py) before its first delete: no row of a purged
person outlives the purge in the files beside the store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from algorithms import retention, straw_member_index
from api.services.analysis import full_analysis
from graph import side_table
from graph.embedded_store import EmbeddedStore
from tests.analytics.test_member_index import assert_true, everyone, indexed
from tests.graph.test_side_table import spy_writes


def test_a_purge_leaves_no_trace_of_the_person_in_the_folder(world: tuple[Path, dt.date],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    db, last = world
    with EmbeddedStore(db) as store:
        side_table.rewrite(store)
        base = side_table.folder(store.path) / "base-persons.arrow"
        held = base.read_bytes()
        seen = spy_writes(store, monkeypatch)
        done = retention.apply(store, last)
        assert done.persons and all(key.encode() in held for key in done.persons)  # they were in the files
        # gone before the purge's first delete (its stand-ins, created first, hold nobody's data)
        deletes = [exists for text, exists in seen if "DELETE" in text]
        assert deletes and not any(deletes)
        assert not side_table.folder(store.path).exists() and side_table.open_tables(store) is None


def test_a_purge_drops_the_membership_index_and_the_full_analysis_writes_it_again(
        world: tuple[Path, dt.date]) -> None:
    """The membership index lives in the side table's folder (algorithms/straw_member_index.py): gone with it
    before the purge writes, and true again after the next full analysis."""
    db, last = world
    with EmbeddedStore(db) as store:
        side_table.rewrite(store)
        assert straw_member_index.write(store)
        assert_true(store)
        done = retention.apply(store, last)
        assert done.persons
        assert indexed(store, everyone(store)) is None
        full_analysis(store)
        got = assert_true(store)
        assert not {row[0] for row in got} & set(done.persons)
