"""The warming of the analysis' first reads during a day's load (algorithms/warm_up.py): reads only, on a reader
made before the day's transaction, finished when the load's block ends, never failing the load."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from algorithms import warm_up
from cypher import registry
from graph.embedded_store import EmbeddedStore
from graph.errors import StoreUnavailable
from graph.store import one_unit
from graph.write_following import effect


def test_the_warm_statements_are_reads() -> None:
    for name in warm_up.STATEMENTS:
        assert effect(registry().get(name, "embedded")) == "read", name


def test_the_warming_reads_on_a_reader_and_ends_with_the_block(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, bool, str]] = []
    query = EmbeddedStore.query

    def spy(self: EmbeddedStore, name: str, params: dict[str, object] | None = None) -> object:
        if name.startswith("warm_"):
            seen.append((name, self.read_only, threading.current_thread().name))
        return query(self, name, params)
    monkeypatch.setattr(EmbeddedStore, "query", spy)
    with EmbeddedStore(tmp_path / "db.lbug") as store:
        store.init_schema()
        with one_unit(store), warm_up.during_load(store) as inside:  # no reader inside a transaction
            assert inside is None
        with warm_up.during_load(store) as thread, one_unit(store):
            assert thread is not None
            thread.join(60)  # (a load longer than the warming)
        assert seen == [(name, True, "warm-up") for name in warm_up.STATEMENTS]
        seen.clear()
        with warm_up.during_load(store) as again:  # the first load of an open store only
            assert again is None
    with EmbeddedStore(tmp_path / "db.lbug") as store:
        with warm_up.during_load(store) as thread:  # a load shorter: stopped after the statement in flight
            pass
        assert thread is not None and not thread.is_alive() and len(seen) <= len(warm_up.STATEMENTS)
    seen.clear()
    with EmbeddedStore(tmp_path / "db.lbug") as store:
        monkeypatch.setenv("TRACEGRAPH_WARM_UP", "0")
        with warm_up.during_load(store) as off:
            assert off is None
    assert seen == []


def test_a_failing_warm_statement_never_fails_the_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    query = EmbeddedStore.query

    def failing(self: EmbeddedStore, name: str, params: dict[str, object] | None = None) -> object:
        if name.startswith("warm_"):
            raise StoreUnavailable("gone")
        return query(self, name, params)
    monkeypatch.setattr(EmbeddedStore, "query", failing)
    with EmbeddedStore(tmp_path / "db.lbug") as store:
        store.init_schema()
        with warm_up.during_load(store) as thread:
            assert thread is not None
        assert not thread.is_alive()
