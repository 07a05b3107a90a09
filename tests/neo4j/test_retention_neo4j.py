"""Retention on a real Neo4j: the same purge as the embedded store, and a running API that drops what a purge
made elsewhere removed (its snapshot follows the store's change stamp)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from algorithms import retention
from api.app import create_app
from api.security import KeyFile
from api.settings import Settings
from graph.embedded_store import EmbeddedStore
from graph.neo4j_store import Neo4jStore
from graph.store import GraphStore
from tests.neo4j_support import Neo4jServer
from tests.retention.retention_world import AS_OF, write_world

pytestmark = pytest.mark.neo4j


def state(store: GraphStore) -> dict[str, Any]:
    purchases = store.edge_list("PURCHASED", "Person", "Firearm", ("sale_id",)).to_pylist()
    people = store.node_table("Person", ("purged", "subject_predicate", "hold_reason")).to_pylist()
    return {"purchases": sorted((r["src"], r["sale_id"]) for r in purchases),
            "people": sorted((p["key"], p["purged"], p["subject_predicate"], p["hold_reason"]) for p in people),
            "lives_at": sorted(r["src"] for r in store.edge_list("LIVES_AT", "Person", "Location").to_pylist())}


def test_the_purge_is_the_same_on_both_stores(neo4j_server: Neo4jServer, tmp_path: Path) -> None:
    results = {}
    with EmbeddedStore(tmp_path / "e.lbug") as embedded, neo4j_server.store() as neo:
        for name, store in (("embedded", embedded), ("neo4j", neo)):
            if name == "embedded":
                store.init_schema()
            write_world(store)
            planned = retention.plan(store, AS_OF)
            done = retention.apply(store, AS_OF)
            again = retention.apply(store, AS_OF)
            assert planned.summary() == done.summary() and again.summary()["total"] == 0, name
            assert store.query("retention_person", {"key": "lapsed"}).rows() == [], name
            results[name] = (done.summary(), state(store))
    assert results["embedded"] == results["neo4j"]
    assert results["neo4j"][0]["total"] == 2


def test_a_running_api_drops_what_a_purge_elsewhere_removed(neo4j_server: Neo4jServer, tmp_path: Path) -> None:
    with neo4j_server.store() as store:
        write_world(store)
    settings = Settings(store="neo4j", neo4j_uri=neo4j_server.uri, neo4j_user=neo4j_server.user,
                        neo4j_password=SecretStr(neo4j_server.password), db=tmp_path / "unused.lbug",
                        api_change_check_s=0.0)
    record, secret = KeyFile.for_settings(settings).create("investigator", "test investigator")
    headers = {"X-API-Key": f"{record.key_id}.{secret}"}
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.get("/api/v1/persons/gone", headers=headers).status_code == 200
        with Neo4jStore(neo4j_server.uri, neo4j_server.user, neo4j_server.password) as other:  # e.g. the daily timer
            assert retention.apply(other, AS_OF).persons == ["gone", "lapsed"]
        assert client.get("/api/v1/persons/gone", headers=headers).status_code == 404
        found = client.post("/api/v1/search", headers=headers, json={"kind": "name", "q": "GONE, ANN"})
        assert found.status_code == 200 and "gone" not in found.text
