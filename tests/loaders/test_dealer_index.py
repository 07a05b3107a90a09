"""The loaders' dealer stubs (loaders/entities.py ``DealerIndex``): which quoted dealers the store lacks, asked by
the batch's own keys."""

from __future__ import annotations

import pandas as pd
import pytest

from graph.embedded_store import EmbeddedStore
from loaders.entities import DealerIndex
from loaders.frames import arrow


def _dealers(store: EmbeddedStore, keys: list[str]) -> None:
    store.upsert_nodes("Dealer", arrow(pd.DataFrame({"dealer_key": keys, "status": "LISTED"}), "Dealer"))


def test_unknown_dealers_are_asked_by_key_not_by_reading_every_dealer(embedded_store: EmbeddedStore,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _dealers(embedded_store, [f"1-23-{n:05d}" for n in range(300)])
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the whole Dealer table read")
    monkeypatch.setattr(embedded_store, "node_table", refuse)
    index = DealerIndex(embedded_store)
    keys = pd.Series(["1-23-00007", "9-99-00001", None, "1-23-00299", "9-99-00001", "1-23-00007"],
                     dtype="string[pyarrow]")
    assert index.unknown(keys) == [False, True, True, False, True, False]
    assert index.known == {"1-23-00007", "1-23-00299"}


def test_a_dealer_stubbed_meanwhile_is_known_and_stubbed_once(embedded_store: EmbeddedStore) -> None:
    _dealers(embedded_store, ["1-23-00001"])
    index = DealerIndex(embedded_store)
    licenses = pd.DataFrame({"license_number": ["1-23-456-78-9A-00001", "9-87-654-32-1B-00002"],
                             "dealer_key": ["1-23-00001", "9-87-00002"], "region": ["1", "9"],
                             "district": ["23", "87"], "county": ["456", "654"], "type": ["78", "32"],
                             "expiry": ["9A", "1B"], "sequence": ["00001", "00002"]})
    index.ensure(licenses, "run-1")
    assert index.stubs_created == 1
    assert index.unknown(pd.Series(["9-87-00002", "1-23-00001"])) == [False, False]
    index.ensure(licenses, "run-1")  # nothing new: no second stub
    assert index.stubs_created == 1
    stored = {r["key"]: r["status"] for r in embedded_store.node_table("Dealer", ("status",)).to_pylist()}
    assert stored == {"1-23-00001": "LISTED", "9-87-00002": "UNLISTED"}
    # a new index (the next file's loader) finds the stub in the store
    assert DealerIndex(embedded_store).unknown(pd.Series(["9-87-00002", "5-55-00005"])) == [False, True]
