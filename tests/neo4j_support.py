"""The session's Neo4j server as tests see it (the fixture itself is ``neo4j_server`` in tests/conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass

from graph.neo4j_server import LocalNeo4j
from graph.neo4j_store import Neo4jStore


@dataclass(frozen=True)
class Neo4jServer:
    """Where the session's Neo4j answers, and (for a server this session started) the handle to stop it."""

    uri: str
    user: str
    password: str
    local: LocalNeo4j | None = None

    def store(self) -> Neo4jStore:
        """A store on an empty database with the schema created."""
        store = Neo4jStore(self.uri, self.user, self.password)
        clear_neo4j(store)
        store.init_schema()
        return store

    def env(self) -> dict[str, str]:
        return {"TRACEGRAPH_STORE": "neo4j", "TRACEGRAPH_NEO4J_URI": self.uri, "TRACEGRAPH_NEO4J_USER": self.user,
                "TRACEGRAPH_NEO4J_PASSWORD": self.password}


def clear_neo4j(store: Neo4jStore) -> None:
    """Empty the database between tests (small test graphs: one statement is fastest)."""
    store._write("MATCH (n) DETACH DELETE n")
