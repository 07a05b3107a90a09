"""Every statement in cypher/ names only what the schema declares, and takes values only as parameters."""

from __future__ import annotations

import re

import pytest

from cypher import registry
from graph.statements import check_statement

STATEMENTS = registry().items()


def test_registry_is_not_empty() -> None:
    assert registry().names()


@pytest.mark.parametrize(("name", "backend", "text"), STATEMENTS,
                         ids=[f"{n}.{b or 'shared'}" for n, b, _ in STATEMENTS])
def test_statement_names_only_schema_identifiers(name: str, backend: str | None, text: str) -> None:
    assert check_statement(text) == []


@pytest.mark.parametrize(("name", "backend", "text"), STATEMENTS,
                         ids=[f"{n}.{b or 'shared'}" for n, b, _ in STATEMENTS])
def test_statement_has_no_interpolation_markers(name: str, backend: str | None, text: str) -> None:
    assert not re.search(r"\{\w*\}|%s|%\(", re.sub(r"\{[^{}]*:[^{}]*\}", "", text)), "values must be $parameters"


@pytest.mark.parametrize("bad", [
    "MATCH (d:Dealer) RETURN d.no_such_property",
    "MATCH (d:Dealr) RETURN d",
    "MATCH (a:Person)-[:BOUGHT]->(f:Firearm) RETURN a",
    "MATCH (d:Dealer {license: $x}) RETURN d",
    "MATCH (:Dealer)-[s:SOLD {when: $d}]->(:Firearm) RETURN s",
])
def test_checker_catches_unknown_names(bad: str) -> None:
    assert check_statement(bad)


def test_backend_variant_wins_over_shared_text() -> None:
    reg = registry()
    for name, backend, text in reg.items():
        if backend is not None:
            assert reg.get(name, backend) == text
    with pytest.raises(KeyError):
        reg.get("no_such_statement", "embedded")


#: an OPTIONAL MATCH followed by ``WITH a, b WHERE b IS NOT NULL``: carrying whole nodes makes LadybugDB scan every
#: property of the far side's table (docs/performance.md, "Keyed reads project their properties")
_NODES_CARRIED = re.compile(r"OPTIONAL MATCH[^\n]*\n(?:WHERE[^\n]*\n)?"
                            r"WITH (?:DISTINCT )?\w+(?:, \w+)*\s+WHERE \w+ IS NOT")


def test_the_rule_sees_a_carried_node() -> None:
    assert _NODES_CARRIED.search("MATCH (r:Recovery {trace_id: k})\nOPTIONAL MATCH (p:Person)-[:POSSESSED]->(r)\n"
                                 "WITH r, p WHERE p IS NOT NULL\nRETURN p.person_key AS key")
    assert not _NODES_CARRIED.search("OPTIONAL MATCH (p:Person)-[:POSSESSED]->(r)\nWITH p.person_key AS key "
                                     "WHERE key IS NOT NULL\nRETURN key")


@pytest.mark.parametrize(("name", "backend", "text"), STATEMENTS,
                         ids=[f"{n}.{b or 'shared'}" for n, b, _ in STATEMENTS])
def test_keyed_reads_carry_properties_not_nodes(name: str, backend: str | None, text: str) -> None:
    """A keyed read (``UNWIND $keys … OPTIONAL MATCH``) passes on the properties it returns: 0.15 instead of 1.3
    CPU s for 4,000 keys on the national store."""
    if backend != "neo4j":
        assert not _NODES_CARRIED.search(text)
