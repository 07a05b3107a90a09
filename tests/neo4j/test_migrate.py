"""An older Neo4j store is brought to the current schema by ``init`` (renamed properties move to their new name)."""

from __future__ import annotations

import pytest

from tests.neo4j_support import Neo4jServer

pytestmark = pytest.mark.neo4j


def test_init_moves_flow_source_to_basis_on_an_existing_store(neo4j_server: Neo4jServer) -> None:
    with neo4j_server.store() as store:
        # what a store written before FLOW.source was renamed to FLOW.basis holds
        store._write("CREATE (:Location {location_key: 'state:US-VA'})-[:FLOW {year: 2020, level: 'state', "
                     "source: 'atf_table', firearms: 7}]->(:Location {location_key: 'state:US-NY'})")
        store._write("MATCH (a:Location {location_key: 'state:US-VA'}), (b:Location {location_key: 'state:US-NY'}) "
                     "CREATE (a)-[:FLOW {year: 2021, level: 'state', source: 'old', basis: 'traces', "
                     "firearms: 2}]->(b)")
        store.init_schema()
        rows = store._read("MATCH ()-[f:FLOW]->() RETURN f.year AS year, f.basis AS basis, f.source AS source "
                           "ORDER BY year").rows()
        assert rows == [{"year": 2020, "basis": "atf_table", "source": None},
                        {"year": 2021, "basis": "traces", "source": "old"}]  # a stored basis is never overwritten
        assert store.migrate() == ["FLOW.source -> basis"]  # idempotent: nothing left to move
        edges = store.edge_list("FLOW", "Location", "Location", ("year", "basis", "firearms")).to_pylist()
        assert [(e["basis"], e["firearms"]) for e in edges] == [("atf_table", 7), ("traces", 2)]
