"""The contract suite runs every test against every store backend.

Neo4j runs through testcontainers where a Docker engine is reachable, and is skipped with the reason where not
(these development machines have none). Select it alone with ``-m neo4j``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph.embedded_store import EmbeddedStore
from graph.store import GraphStore

NEO4J_IMAGE = "neo4j:5.26-community"


@pytest.fixture(scope="session")
def neo4j_server() -> Iterator[Any]:
    try:
        from testcontainers.neo4j import Neo4jContainer
    except ImportError as exc:  # pragma: no cover - dev extra missing
        pytest.skip(f"testcontainers is not installed: {exc}")
    try:
        container = Neo4jContainer(NEO4J_IMAGE)
        container.start()
    except Exception as exc:  # docker.errors.DockerException when no engine runs
        pytest.skip(f"Neo4j contract tests need a Docker engine for testcontainers: {type(exc).__name__}: "
                    f"{str(exc).splitlines()[0][:160] if str(exc) else 'no engine reachable'}")
    yield container
    container.stop()


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    if request.param == "embedded":
        embedded = EmbeddedStore(tmp_path / "contract.lbug")
        embedded.init_schema()
        yield embedded
        embedded.close()
        return
    from graph.neo4j_store import Neo4jStore

    server = request.getfixturevalue("neo4j_server")
    neo = Neo4jStore(server.get_connection_url(), server.username, server.password)
    neo._write("MATCH (n) DETACH DELETE n")
    neo.init_schema()
    yield neo
    neo.close()
