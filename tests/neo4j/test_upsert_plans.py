"""Every batch size of an upsert shares one cached plan: Neo4j 5 caches a plan per size class of a top-level list
parameter (1, 2-10, 11-100, 101-1,000, more), and the loaders' long generated statements then cost up to five cold
plannings per server (a Dealer update ~2 s of server CPU each); the rows go in nested in a map
(``graph.neo4j_store.ROWS``), which carries no size hint."""

from __future__ import annotations

import re

import pyarrow as pa
import pytest

from graph.neo4j_store import Neo4jStore
from tests.neo4j_support import Neo4jServer

pytestmark = pytest.mark.neo4j


def cached_plans(store: Neo4jStore) -> int:
    """How many statements the server had cached, which ``db.clearQueryCaches`` reports as it empties the caches."""
    message = str(store._read("CALL db.clearQueryCaches()").scalar())
    found = re.search(r"(\d+) quer", message)
    return int(found.group(1)) if found else 0


def upsert_dealers(store: Neo4jStore, count: int) -> None:
    rows = pa.table({"dealer_key": [f"plan-test-{i:04d}" for i in range(count)],
                     "license_name": [f"Dealer {i} ({count})" for i in range(count)]})
    store.upsert_nodes("Dealer", rows)


def test_one_plan_serves_every_batch_size(neo4j_server: Neo4jServer) -> None:
    with neo4j_server.store() as store:
        upsert_dealers(store, 1000)  # every key stored: each later batch updates
        upsert_dealers(store, 1)
        cached_plans(store)
        upsert_dealers(store, 1)
        one_size = cached_plans(store)
        for count in (1, 5, 50, 500):
            upsert_dealers(store, count)
        every_size = cached_plans(store)
        assert one_size >= 2  # the key lookup and the update, each planned once
        assert every_size == one_size
        names = store.node_table("Dealer", ("license_name",)).column("license_name").to_pylist()
        assert sorted(names)[:2] == ["Dealer 0 (500)", "Dealer 1 (500)"]
