"""A keyed relationship's upsert finds the stored relationship from its two endpoints, never through the key's index:
a ``MERGE`` planned while the index's sample still described an emptied database (estimate 0 rows) scanned the whole
``purchased_sale_id`` index for every row (17.5 M entries read for 2,640 rows, ~38 s of server CPU in the twins'
setup). An expansion between two bound nodes costs the same whatever the statistics say."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pyarrow as pa
import pytest

from graph.neo4j_store import Neo4jStore
from graph.store import Result
from tests.neo4j_support import Neo4jServer, clear_neo4j

pytestmark = pytest.mark.neo4j


class Recording(Neo4jStore):
    """The store, keeping the text of every write that returns sums (the upserts' statements)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.texts: list[str] = []

    def _write_returning(self, text: str, params: dict[str, Any] | None) -> Result:
        self.texts.append(text)
        return super()._write_returning(text, params)


def operators(plan: dict[str, Any]) -> list[str]:
    return [plan["operatorType"].split("@")[0], *(o for child in plan.get("children", []) for o in operators(child))]


def purchases(count: int, prefix: str) -> pa.Table:
    return pa.table({"from_key": [f"lookup-p{i % 7}" for i in range(count)],
                     "to_key": [f"lookup-f{i}" for i in range(count)],
                     "sale_id": [f"{prefix}{i}" for i in range(count)]})


def test_keyed_relationships_are_looked_up_from_their_endpoints(neo4j_server: Neo4jServer) -> None:
    with Recording(neo4j_server.uri, neo4j_server.user, neo4j_server.password) as store:
        clear_neo4j(store)
        store.init_schema()
        store.upsert_nodes("Person", pa.table({"person_key": [f"lookup-p{i}" for i in range(7)]}))
        store.upsert_nodes("Firearm", pa.table({"firearm_key": [f"lookup-f{i}" for i in range(300)]}))
        first = store.upsert_relationships("PURCHASED", "Person", "Firearm", purchases(200, "trace:"))
        # the same pairs again: 200 stored keys and 100 new ones (one firearm bought twice, two sale ids)
        again = pa.concat_tables([purchases(200, "trace:"), purchases(100, "msr:")])
        second = store.upsert_relationships("PURCHASED", "Person", "Firearm", again)
        assert (first.created, first.updated) == (200, 0)
        assert (second.created, second.updated) == (100, 200)
        stored = store.edge_list("PURCHASED", "Person", "Firearm", ("sale_id",))
        assert stored.num_rows == 300
        assert len(set(stored.column("sale_id").to_pylist())) == 300
        lookups = {t for t in store.texts if "PURCHASED" in t}
        assert lookups
        for text in lookups:
            plan = store.driver.execute_query(f"EXPLAIN {text}", {"batch": {"rows": []}}).summary.plan
            used = operators(plan)
            assert not [o for o in used if "RelationshipIndex" in o], used
            assert "OptionalExpand(Into)" in used


def test_two_loads_of_the_same_new_relationships_create_each_once(neo4j_server: Neo4jServer) -> None:
    """Two writers (two processes, say) upserting the same rows at once: each missing relationship is created by one
    of them, the other finds it after the endpoints' locks (``MERGE``'s guarantee)."""
    with neo4j_server.store() as store:
        store.upsert_nodes("Person", pa.table({"person_key": [f"lookup-p{i}" for i in range(7)]}))
        store.upsert_nodes("Firearm", pa.table({"firearm_key": [f"lookup-f{i}" for i in range(500)]}))

    def load(prefix: str) -> int:
        with Neo4jStore(neo4j_server.uri, neo4j_server.user, neo4j_server.password) as writer:
            return writer.upsert_relationships("PURCHASED", "Person", "Firearm", purchases(500, prefix)).created

    for round_ in range(3):
        with ThreadPoolExecutor(max_workers=2) as pool:
            created = list(pool.map(load, [f"race{round_}:"] * 2))
        assert sum(created) == 500
    with Neo4jStore(neo4j_server.uri, neo4j_server.user, neo4j_server.password) as store:
        stored = store.edge_list("PURCHASED", "Person", "Firearm", ("sale_id",))
    assert stored.num_rows == 1500
    assert len(set(stored.column("sale_id").to_pylist())) == 1500
