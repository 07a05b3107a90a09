"""The property-graph model (one schema definition) and the stores that hold it."""

from __future__ import annotations

from pathlib import Path

from graph.errors import InvalidInput
from graph.schema import SCHEMA, Schema
from graph.store import GraphStore, Result, UpsertSummary

__all__ = ["SCHEMA", "GraphStore", "Result", "Schema", "UpsertSummary", "open_store"]


def open_store(backend: str = "embedded", *, db: str | Path = "data/tracegraph.lbug", neo4j_uri: str | None = None,
               neo4j_user: str = "neo4j", neo4j_password: str = "", neo4j_database: str | None = None,
               schema: Schema = SCHEMA, read_only: bool = False, buffer_pool_mb: int | None = None) -> GraphStore:
    """Open the configured store. Switching the embedded engine stays a change to this function only.

    ``read_only``: the embedded file is opened for reading, so several processes (the API's workers) can hold it
    at once; Neo4j sessions are unaffected. ``buffer_pool_mb``: the embedded engine's page cache (None: the
    engine's default, 80 % of the machine's memory); Neo4j's is the server's."""
    if backend in ("embedded", "kuzu"):  # "kuzu": the name older configurations use
        from graph.embedded_store import EmbeddedStore

        return EmbeddedStore(db, schema, read_only=read_only, buffer_pool_mb=buffer_pool_mb)
    if backend == "neo4j":
        from graph.neo4j_store import Neo4jStore

        if not neo4j_uri:
            raise InvalidInput("the neo4j store needs a URI (TRACEGRAPH_NEO4J_URI or --neo4j-uri)")
        return Neo4jStore(neo4j_uri, neo4j_user, neo4j_password, neo4j_database, schema)
    raise InvalidInput(f"unknown store {backend!r}: use embedded or neo4j")
