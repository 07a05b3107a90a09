"""The contract suite runs every test against every store backend.

Neo4j runs on the session's server (tests/conftest.py: the one TRACEGRAPH_NEO4J_URI names, else a local server
started from Maven Central jars). Select it alone with ``-m neo4j``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graph import embedded_rel_reads
from graph.embedded_store import EmbeddedStore
from graph.store import GraphStore
from tests.neo4j_support import Neo4jServer


@pytest.fixture(params=["embedded", "embedded-node-by-node", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    if request.param.startswith("embedded"):
        if request.param == "embedded-node-by-node":  # the relationship lookups a small batch on a large store uses
            request.getfixturevalue("monkeypatch").setattr(embedded_rel_reads, "PER_NODE_RATIO", 0)
        embedded = EmbeddedStore(tmp_path / "contract.lbug")
        embedded.init_schema()
        yield embedded
        embedded.close()
        return
    server: Neo4jServer = request.getfixturevalue("neo4j_server")
    neo = server.store()
    yield neo
    neo.close()
