"""An upsert handed the rows its caller just read (graph.store.StoredRows: the incremental write back's Person rows,
read by the straw stage) takes the stored values from them, and only while nothing was written since and they cover
the batch; otherwise it reads as without them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from graph.embedded_store import EmbeddedStore
from graph.store import StoredRows

COLUMNS = ("straw_score", "straw_points", "straw_indicators", "straw_network", "analysis_run_id")


def _persons(run: str, score: float) -> pd.DataFrame:
    return pd.DataFrame({"person_key": ["p1", "p2", "p3"], "straw_score": [score, 2.0, 3.0],
                         "straw_points": [1.0, 2.0, 3.0], "straw_indicators": ["[]", "[]", "[]"],
                         "straw_network": [0.0, 0.0, 0.0], "analysis_run_id": run})


def _read(store: EmbeddedStore, keys: list[str]) -> StoredRows:
    table = store.query("straw_stored_scores", {"keys": keys}).arrow()
    return StoredRows(table=table.rename_columns(["person_key" if c == "key" else c for c in table.column_names]),
                      asked=pa.array(keys, pa.string()), writes=store.writes)


def _stored(store: EmbeddedStore) -> pd.DataFrame:
    return store.node_table("Person", COLUMNS).to_pandas().sort_values("key").reset_index(drop=True)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    opened = EmbeddedStore(tmp_path / "s.lbug")
    opened.init_schema()
    opened.upsert_nodes("Person", _persons("run-1", 1.0))
    yield opened
    opened.close()


def test_rows_read_just_before_are_taken_instead_of_read_again(store: EmbeddedStore,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    known = _read(store, ["p1", "p2", "p3", "p4"])
    monkeypatch.setattr(store, "_existing_nodes", lambda *_args: pytest.fail("read again"))
    summary = store.upsert_nodes("Person", pd.concat([_persons("run-2", 5.0),
                                                      _persons("run-2", 4.0).iloc[:1].assign(person_key="p4")]),
                                 stored=known)
    assert (summary.created, summary.updated) == (1, 3)
    got = _stored(store)
    assert got["straw_score"].tolist() == [5.0, 2.0, 3.0, 4.0]
    assert set(got["analysis_run_id"]) == {"run-2"}


def test_reads_do_not_count_as_writes_and_writes_and_rollbacks_do(store: EmbeddedStore) -> None:
    before = store.writes
    store.query("straw_stored_scores", {"keys": ["p1"]})
    store.node_table("Person", COLUMNS)
    assert store.writes == before
    store.upsert_nodes("Person", _persons("run-2", 1.0))
    assert store.writes > before
    before = store.writes
    with pytest.raises(RuntimeError), store.batch():
        raise RuntimeError("rolled back")
    assert store.writes > before


def _lie(store: EmbeddedStore, keys: list[str]) -> StoredRows:
    """Rows claiming p1 already holds what the next upsert writes (so a believed hint writes nothing for it)."""
    known = _read(store, keys)
    claimed = known.table.to_pandas()
    claimed.loc[claimed["person_key"] == "p1", "straw_score"] = 9.0
    claimed["analysis_run_id"] = "run-2"
    return StoredRows(table=pa.Table.from_pandas(claimed, preserve_index=False), asked=known.asked,
                      writes=known.writes)


def test_rows_read_before_a_write_are_not_used(store: EmbeddedStore) -> None:
    lie = _lie(store, ["p1", "p2", "p3"])
    store.upsert_nodes("Person", _persons("run-1", 1.0).iloc[1:].assign(straw_network=0.5))  # a write since
    store.upsert_nodes("Person", _persons("run-2", 9.0), stored=lie)
    got = _stored(store)
    assert got["straw_score"].tolist() == [9.0, 2.0, 3.0]
    assert set(got["analysis_run_id"]) == {"run-2"}


def test_rows_that_do_not_cover_the_batch_are_not_used(store: EmbeddedStore) -> None:
    lie = _lie(store, ["p1", "p2"])  # p3 not asked
    store.upsert_nodes("Person", _persons("run-2", 9.0), stored=lie)
    assert _stored(store)["straw_score"].tolist() == [9.0, 2.0, 3.0]


def test_a_current_hint_is_believed(store: EmbeddedStore) -> None:
    """What the two tests above guard against: a hint that is current is taken as the stored rows (here a false
    one, so p1's score is not written)."""
    lie = _lie(store, ["p1", "p2", "p3"])
    store.upsert_nodes("Person", _persons("run-2", 9.0), stored=lie)
    assert _stored(store)["straw_score"].tolist() == [1.0, 2.0, 3.0]
