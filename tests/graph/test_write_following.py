"""The embedded store's writes are told to its followers (graph/write_following.py): each write once, classified
once, before it runs and after it (committed or not); reads pass straight through. How a statement is classified:
tests/graph/test_statement_effects.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from graph import run_keys, side_keeping
from graph.embedded_store import EmbeddedStore
from graph.write_following import Write, followed_by


class Watcher:
    """A follower that writes down what it is told."""

    def __init__(self, name: str, seen: list[tuple[str, ...]]) -> None:
        self.name, self.seen = name, seen

    def before(self, store: EmbeddedStore, write: Write) -> Callable[[Any], None] | None:
        self.seen.append((self.name, "before", write.method, write.effect))
        return lambda _result: self.seen.append((self.name, "noted", write.method))

    def after(self, store: EmbeddedStore, write: Write, committed: bool) -> None:
        self.seen.append((self.name, "after", write.method, str(committed)))


def test_each_write_is_told_before_and_after_in_order_and_reads_are_not(tmp_path: Path) -> None:
    seen: list[tuple[str, ...]] = []
    first, second = Watcher("first", seen), Watcher("second", seen)
    watched = followed_by(lambda _store: first, lambda _store: second)(type("Watched", (EmbeddedStore,), {}))
    with watched(tmp_path / "db.lbug") as store:
        store.init_schema()
        seen.clear()
        store.query("persons_of_runs", {"runs": ["r"]})  # a read
        assert seen == []
        store.upsert_nodes("Person", pa.table({"person_key": ["p1"]}))
        assert seen == [("first", "before", "upsert_nodes", "write"), ("second", "before", "upsert_nodes", "write"),
                        ("first", "noted", "upsert_nodes"), ("second", "noted", "upsert_nodes"),
                        ("second", "after", "upsert_nodes", "True"), ("first", "after", "upsert_nodes", "True")]
        seen.clear()
        store.query("retention_delete_persons", {"keys": ["p1"]})
        assert ("first", "before", "query", "delete") in seen
        seen.clear()
        with pytest.raises(RuntimeError), store.batch():
            store.upsert_nodes("Person", pa.table({"person_key": ["p2"]}))
            raise RuntimeError("rolled back")
        assert seen[0] == ("first", "before", "batch", "write") and seen[-1] == ("first", "after", "batch", "False")
        seen.clear()
        with pytest.raises(KeyError):  # a name no statement has: the store's own refusal, nothing told
            store.query("no_such_statement")
        assert seen == []


def test_the_store_is_followed_by_the_run_records_then_the_side_tables_keeper(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "db.lbug") as store:
        assert run_keys.recorder(store) is not None and side_keeping.keeper(store) is not None
    with EmbeddedStore(tmp_path / "db.lbug", read_only=True) as reading:
        assert run_keys.recorder(reading) is None and side_keeping.keeper(reading) is None

