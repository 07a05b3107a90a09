"""A purge deletes the embedded store's side table (graph/side_table.py) before its first delete: no row of a purged
person outlives the purge in the files beside the store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from algorithms import retention
from graph import side_table
from graph.embedded_store import EmbeddedStore
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
