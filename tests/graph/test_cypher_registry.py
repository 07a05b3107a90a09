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
