"""The one schema and what is generated from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.ddl import embedded_ddl, neo4j_ddl, render
from graph.docs import graph_model_markdown
from graph.identifiers import label, quote
from graph.schema import SCHEMA, NodeLabel, P, RelType, Schema

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"


def test_embedded_ddl_matches_golden() -> None:
    # regenerate with: tracegraph schema ddl --backend embedded > tests/golden/embedded.ddl.cypher
    assert render(embedded_ddl()) == (GOLDEN / "embedded.ddl.cypher").read_text()


def test_neo4j_ddl_matches_golden() -> None:
    # regenerate with: tracegraph schema ddl --backend neo4j > tests/golden/neo4j.ddl.cypher
    assert render(neo4j_ddl()) == (GOLDEN / "neo4j.ddl.cypher").read_text()


def test_graph_model_doc_is_generated_from_schema() -> None:
    # regenerate with: tracegraph schema docs --out docs/graph-model.md
    assert (ROOT / "docs" / "graph-model.md").read_text() == graph_model_markdown()


def test_every_statement_is_idempotent_ddl() -> None:
    assert all("IF NOT EXISTS" in s for s in embedded_ddl() + neo4j_ddl())


def test_every_label_has_a_key_constraint_and_a_table() -> None:
    embedded, neo = render(embedded_ddl()), render(neo4j_ddl())
    for node in SCHEMA.nodes:
        assert f"CREATE NODE TABLE IF NOT EXISTS `{node.name}`(" in embedded
        assert f"`{node.key}` STRING PRIMARY KEY" in embedded or f"`{node.key}` INT64 PRIMARY KEY" in embedded
        assert f"FOR (n:`{node.name}`) REQUIRE n.`{node.key}` IS UNIQUE" in neo


def test_multi_endpoint_relationship_declares_every_pair() -> None:
    at = next(s for s in embedded_ddl() if "TABLE IF NOT EXISTS `AT`(" in s)
    assert "FROM `Dealer` TO `Location`" in at and "FROM `Recovery` TO `Location`" in at


def test_schema_rejects_inconsistent_declarations() -> None:
    node = NodeLabel("A", "id", "", (P("id"),))
    with pytest.raises(ValueError, match="unknown label"):
        Schema(nodes=(node,), relationships=(RelType("R", (("A", "B"),), ""),))
    with pytest.raises(ValueError, match="key"):
        Schema(nodes=(NodeLabel("A", "missing", "", (P("id"),)),), relationships=())
    with pytest.raises(ValueError, match="twice"):
        Schema(nodes=(node, node), relationships=())


def test_identifiers_only_from_the_schema() -> None:
    assert label("Dealer") == "`Dealer`"
    with pytest.raises(KeyError):
        label("Dealer`) DETACH DELETE (n")
    with pytest.raises(ValueError):
        quote("x` OR 1=1")
