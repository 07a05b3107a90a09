"""Keys in the order the store holds their nodes (algorithms/store_order.py): the persons that exist, each once, in
node-offset order, whatever order they were asked in; a read of them answers the same rows as in key order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from algorithms.store_order import persons_in_store_order
from graph.embedded_store import EmbeddedStore

KEYS = [f"p{i:03d}" for i in range(60)]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    opened = EmbeddedStore(tmp_path / "s.lbug")
    opened.init_schema()
    # written in an order that is not the keys' (reversed, in two batches), so store order differs from key order
    for part in (KEYS[30:][::-1], KEYS[:30][::-1]):
        opened.upsert_nodes("Person", pd.DataFrame({"person_key": part, "straw_score": [float(len(k)) for k in part],
                                                    "straw_points": 1.0, "straw_indicators": "[]",
                                                    "straw_network": 0.5, "analysis_run_id": "run-1"}))
    yield opened
    opened.close()


def test_the_persons_that_exist_in_store_order(store: EmbeddedStore) -> None:
    asked = [*sorted(KEYS[::3]), "nobody", "p999"]
    ordered = persons_in_store_order(store, asked)
    assert sorted(ordered) == sorted(KEYS[::3])  # each once, the missing left out
    places = store._execute("MATCH (p:Person) RETURN p.person_key AS key, offset(ID(p)) AS place").df()
    place = dict(zip(places["key"], places["place"], strict=True))
    assert [place[k] for k in ordered] == sorted(place[k] for k in ordered)
    assert ordered != sorted(ordered)  # (the store's order here is not the keys')
    assert persons_in_store_order(store, list(reversed(asked))) == ordered
    assert persons_in_store_order(store, []) == []
    assert persons_in_store_order(store, ["nobody"]) == []


def test_a_read_in_store_order_answers_the_same_rows(store: EmbeddedStore) -> None:
    asked = sorted(KEYS[::2])
    by_key = store.query("straw_stored_scores", {"keys": asked}).df()
    by_place = store.query("straw_stored_scores", {"keys": persons_in_store_order(store, asked)}).df()
    pd.testing.assert_frame_equal(by_place.sort_values("key").reset_index(drop=True),
                                  by_key.sort_values("key").reset_index(drop=True))
