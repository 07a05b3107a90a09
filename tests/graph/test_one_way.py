"""Relationship types stored in one direction (``RelType.one_way``): a new embedded store keeps them FROM -> TO only,
a store created before keeps both directions and answers the same, and no statement traverses them backwards."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from cypher import registry
from graph.embedded_reads import binds_sources
from graph.embedded_store import EmbeddedStore
from graph.errors import TracegraphError
from graph.schema import SCHEMA, Schema

ONE_WAY = [r for r in SCHEMA.relationships if r.one_way]
#: a relationship pattern: its left arrow head, what the brackets hold, its right arrow head
PATTERN = re.compile(r"(<?)-\[([^\]]*)\]-(>?)")


def two_way_schema() -> Schema:
    """The schema as it was before any type became one-way (what older stores were created with)."""
    return Schema(nodes=SCHEMA.nodes, relationships=tuple(replace(r, one_way=False) for r in SCHEMA.relationships))


def undirected_count(store: EmbeddedStore, rel: str) -> int:
    """An undirected pattern over ``rel``: the engine answers it only for a type stored in both directions."""
    return int(store._execute(f"MATCH ()-[e:`{rel}`]-() RETURN count(e)").scalar())


def write_some(store: EmbeddedStore) -> None:
    store.upsert_nodes("Person", [{"person_key": f"p{i}"} for i in range(6)])
    store.upsert_nodes("Location", [{"location_key": f"city:{i % 3}"} for i in range(3)])
    store.upsert_relationships("LIVES_AT", "Person", "Location",
                               [{"from_key": f"p{i}", "to_key": f"city:{i % 3}"} for i in range(6)])
    store.upsert_relationships("FLOW", "Location", "Location", [
        {"from_key": f"city:{i}", "to_key": f"city:{(i + 1) % 3}", "year": 2020, "basis": "traces",
         "level": "city", "firearms": i + 1} for i in range(3)])


def read_back(store: EmbeddedStore) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    lives = store.edge_list("LIVES_AT", "Person", "Location").to_pylist()
    flows = store.edge_list("FLOW", "Location", "Location", ("year", "firearms")).to_pylist()
    return (sorted(lives, key=lambda r: (str(r["src"]), str(r["dst"]))),
            sorted(flows, key=lambda r: (str(r["src"]), str(r["dst"]))))


def test_the_schema_names_the_one_way_types() -> None:
    assert {r.name for r in ONE_WAY} == {"LIVES_AT", "IN", "FLOW"}


def test_a_new_store_keeps_one_way_types_forward_only(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "new.lbug") as store:
        store.init_schema()
        write_some(store)
        for rel in ONE_WAY:
            with pytest.raises(TracegraphError, match="Undirected"):
                undirected_count(store, rel.name)
        assert undirected_count(store, "PURCHASED") == 0  # the other types: both directions
        lives, flows = read_back(store)
    assert [(r["src"], r["dst"]) for r in lives] == [(f"p{i}", f"city:{i % 3}") for i in range(6)]
    assert [r["firearms"] for r in flows] == [1, 2, 3]


def test_a_store_created_before_keeps_both_directions_and_answers_the_same(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "old.lbug", schema=two_way_schema()) as store:
        store.init_schema()
        write_some(store)
    with EmbeddedStore(tmp_path / "old.lbug") as store:
        assert store.migrate() == [] and store.schema_gaps() == []  # nothing to add: not an outdated store
        write_some(store)  # the same rows again: nothing doubled
        for rel in ONE_WAY:
            assert undirected_count(store, rel.name) == 2 * {"LIVES_AT": 6, "FLOW": 3}.get(rel.name, 0)
        old = read_back(store)
    with EmbeddedStore(tmp_path / "new.lbug") as store:
        store.init_schema()
        write_some(store)
        assert read_back(store) == old


def test_reads_of_a_one_way_type_start_from_its_sources() -> None:
    counts = {"Person": 1, "Location": 10**6}.__getitem__  # the targets the side with fewer rows per node
    lives_at = SCHEMA.relationship("LIVES_AT")
    assert binds_sources(lives_at, SCHEMA.node("Person"), SCHEMA.node("Location"), counts)
    assert not binds_sources(replace(lives_at, one_way=False), SCHEMA.node("Person"), SCHEMA.node("Location"),
                             counts)


@pytest.mark.parametrize("rel", [r.name for r in ONE_WAY])
def test_no_statement_traverses_a_one_way_type_backwards_or_undirected(rel: str) -> None:
    """Statements write a one-way type's patterns FROM -> TO (``(a)-[:T]->(b)``): a ``<-[:T]-`` or ``-[:T]-``
    would be refused by the engine (undirected) or read the whole type (backwards). Neo4j's own variants are free."""
    wrong = []
    for name, backend, text in registry().items():
        if backend == "neo4j":
            continue
        for left, inside, right in PATTERN.findall(text):
            types = re.findall(r"[:|]\s*`?(\w+)`?", inside)
            if rel in types and not (right and not left):
                wrong.append(f"{name}: {left}-[{inside}]-{right}")
    assert not wrong, wrong
