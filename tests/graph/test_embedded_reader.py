"""A reader's handle on an open embedded store (EmbeddedStore.reader, graph/embedded_reader.py) reads from another
thread what is committed and writes nothing; and the write count (graph/write_count.py) keeps rows a caller read
current while only other labels are written."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph.embedded_store import EmbeddedStore
from graph.store import StoredRows, confined, reader
from graph.write_count import WriteCount


def _persons(score: float) -> pd.DataFrame:
    return pd.DataFrame({"person_key": ["p1", "p2"], "straw_score": [score, 2.0], "straw_points": [1.0, 2.0],
                         "straw_indicators": ["[]", "[]"], "straw_network": [0.0, 0.0], "analysis_run_id": "run-1"})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    opened = EmbeddedStore(tmp_path / "s.lbug")
    opened.init_schema()
    opened.upsert_nodes("Person", _persons(1.0))
    opened.upsert_nodes("Dealer", [{"dealer_key": "d1", "anomaly_score": 0.5}])
    opened.upsert_nodes("Location", [{"location_key": "US-MD"}])
    yield opened
    opened.close()


def _score(store: EmbeddedStore, key: str) -> float:
    frame = store.node_table("Person", ("straw_score",)).to_pandas().set_index("key")
    return float(frame.at[key, "straw_score"])


def test_a_reader_sees_what_is_committed_from_another_thread_while_a_transaction_writes(
        store: EmbeddedStore) -> None:
    with reader(store) as other:
        assert other is not None and other is not store
        seen: list[float] = []
        with store.batch():
            store.upsert_nodes("Person", _persons(7.0))
            assert _score(store, "p1") == 7.0  # the transaction sees its own write
            thread = threading.Thread(target=lambda: seen.append(_score(other, "p1")))
            thread.start()
            thread.join()
        assert seen == [1.0]  # the reader saw the committed score, not the uncommitted one
        assert _score(other, "p1") == 7.0  # and the new one once committed
    assert _score(store, "p1") == 7.0  # closing the reader left the store open


def test_a_reader_writes_nothing(store: EmbeddedStore) -> None:
    with reader(store) as other:
        assert other is not None
        for write in (lambda: other.upsert_nodes("Person", _persons(9.0)),
                      lambda: other.upsert_relationships("LIVES_AT", "Person", "Location", [
                          {"from_key": "p1", "to_key": "US-MD"}]),
                      lambda: other.query("firearms_batch_clear_keys", {"keys": ["none"]})):
            with pytest.raises(PermissionError, match="does not write"):
                write()
    assert _score(store, "p1") == 1.0


def test_there_is_no_reader_inside_a_transaction(store: EmbeddedStore) -> None:
    with store.batch(), reader(store) as other:  # another connection would not see the transaction's writes
        assert other is None


def _read(store: EmbeddedStore) -> StoredRows:
    table = store.query("straw_stored_scores", {"keys": ["p1", "p2"]}).arrow()
    return StoredRows(table=table.rename_columns(["person_key" if c == "key" else c for c in table.column_names]),
                      asked=pa.array(["p1", "p2"], pa.string()), writes=store.writes)


def _taken(store: EmbeddedStore, known: StoredRows, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Whether an upsert of the persons takes ``known`` instead of reading the stored rows again."""
    reads: list[int] = []
    original = store._existing_nodes
    monkeypatch.setattr(store, "_existing_nodes", lambda *args: reads.append(1) or original(*args))
    store.upsert_nodes("Person", _persons(3.0), stored=known)
    monkeypatch.undo()
    return not reads


def test_rows_read_stay_current_while_only_other_labels_are_written(store: EmbeddedStore,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    known = _read(store)
    before = store.writes
    store.upsert_nodes("Dealer", [{"dealer_key": "d1", "anomaly_score": 0.7}])
    store.upsert_relationships("LIVES_AT", "Person", "Location", [{"from_key": "p1", "to_key": "US-MD"}])
    with confined(store, ("Dealer",)):
        # a write statement its caller says writes Dealer only
        store.query("firearms_batch_clear_keys", {"keys": ["none"]})
    assert store.writes >= before + 3  # each counted
    assert _taken(store, known, monkeypatch)
    known = _read(store)
    store.query("firearms_batch_clear_keys", {"keys": ["none"]})  # a write statement nobody put down to labels
    assert not _taken(store, known, monkeypatch)
    known = _read(store)
    with confined(store, ("Person",)):
        store.query("firearms_batch_clear_keys", {"keys": ["none"]})
    assert not _taken(store, known, monkeypatch)


def test_rows_read_through_a_reader_are_taken_while_only_other_labels_are_written(
        store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch) -> None:
    with reader(store) as other:
        assert other is not None
        store.upsert_nodes("Dealer", [{"dealer_key": "d1", "anomaly_score": 0.7}])
        known = _read(other)
        assert _taken(store, known, monkeypatch)
        known = _read(other)
        store.upsert_nodes("Person", _persons(5.0))  # after the reader was opened: its rows may be older
        assert not _taken(store, known, monkeypatch)


# --- the count itself, against a log of every write -----------------------------------------------------------

LABELS = ("Person", "Dealer", "Firearm")
EVENTS = st.lists(st.one_of(
    st.tuples(st.just("write"), st.sets(st.sampled_from(LABELS)).map(tuple) | st.none()),
    st.tuples(st.just("read"), st.none()),
    st.tuples(st.just("reopen"), st.none())), max_size=30)


@given(EVENTS, st.sampled_from(LABELS))
def test_the_count_says_unchanged_exactly_when_no_later_write_may_have_touched_the_label(
        events: list[tuple[str, tuple[str, ...] | None]], label: str) -> None:
    count = WriteCount()
    log: list[tuple[str, ...] | None] = []  # each counted change: the labels it wrote (None: anything)
    for kind, labels in events:
        if kind == "write" and labels is None:
            count.statement("MATCH (n) SET n.x = 1")
            log.append(None)
        elif kind == "write":
            with count.confined(labels or ()):
                count.statement("MATCH (n) SET n.x = 1")
            log.append(labels)
        elif kind == "reopen":
            count.anything()
            log.append(None)
        else:
            count.statement("MATCH (n) RETURN n")  # a read counts nothing
    assert count.count == len(log)
    for since in range(len(log) + 2):
        later = log[since:]
        expected = since <= len(log) and all(entry is not None and label not in entry for entry in later)
        assert count.unchanged(label, since) == expected
