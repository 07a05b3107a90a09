"""Every hand-written Cypher statement, one per ``<name>.cypher`` file, loaded once.

Where the dialects differ, ``<name>.embedded.cypher`` / ``<name>.neo4j.cypher`` sit beside (or instead of) the
shared text and win for their backend. Statements take values only as ``$parameters``; :func:`check_statement`
(run over every file by the tests) rejects labels, relationship types or properties the schema lacks.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

from graph.schema import SCHEMA, Schema

BACKENDS = ("embedded", "neo4j")


@dataclass(frozen=True)
class Registry:
    statements: dict[tuple[str, str | None], str]

    def names(self) -> list[str]:
        return sorted({name for name, _ in self.statements})

    def get(self, name: str, backend: str) -> str:
        for variant in ((name, backend), (name, None)):
            if variant in self.statements:
                return self.statements[variant]
        raise KeyError(f"no Cypher statement named {name!r} for {backend}")

    def items(self) -> list[tuple[str, str | None, str]]:
        return [(n, b, t) for (n, b), t in sorted(self.statements.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))]


@functools.cache
def registry() -> Registry:
    statements: dict[tuple[str, str | None], str] = {}
    for entry in resources.files(__name__).iterdir():
        if not entry.name.endswith(".cypher"):
            continue
        stem = entry.name[: -len(".cypher")]
        name, _, backend = stem.partition(".")
        if backend and backend not in BACKENDS:
            raise ValueError(f"cypher/{entry.name}: unknown backend {backend!r}")
        statements[(name, backend or None)] = _strip_comments(entry.read_text(encoding="utf-8"))
    return Registry(statements)


def _strip_comments(text: str) -> str:
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("//")]
    return "\n".join(lines).strip().rstrip(";")


_NODE_BINDING = re.compile(r"\(\s*(\w*)\s*:\s*`?(\w+)`?")
_REL_BINDING = re.compile(r"\[\s*(\w*)\s*:\s*`?(\w+(?:\s*\|\s*:?\w+)*)`?")
_PROP_ACCESS = re.compile(r"\b(\w+)\.`?(\w+)`?")
_NODE_MAP = re.compile(r"\(\s*\w*\s*:\s*`?(\w+)`?\s*\{([^}]*)\}")
_REL_MAP = re.compile(r"\[\s*\w*\s*:\s*`?(\w+)`?\s*\{([^}]*)\}")
_MAP_KEY = re.compile(r"(?:^|,)\s*`?(\w+)`?\s*:")
_LITERAL_VALUE = re.compile(r"'[^']*'|\"[^\"]*\"")


def check_statement(text: str, schema: Schema = SCHEMA) -> list[str]:
    """Problems with one statement: unknown labels, types or properties; values pasted in as literals are
    allowed only for small constants, never built from input (statements are static files)."""
    problems: list[str] = []
    body = _LITERAL_VALUE.sub("''", text)
    bound: dict[str, tuple[str, list[str]]] = {}
    for var, label in _NODE_BINDING.findall(body):
        if label not in schema.labels:
            problems.append(f"unknown label {label}")
        elif var:
            bound[var] = ("node", [label])
    for var, types in _REL_BINDING.findall(body):
        names = [t.strip().lstrip(":") for t in types.split("|")]
        for t in names:
            if t not in schema.rel_types:
                problems.append(f"unknown relationship type {t}")
        if var and all(t in schema.rel_types for t in names):
            bound[var] = ("rel", names)
    for var, prop in _PROP_ACCESS.findall(body):
        if var not in bound:
            continue
        kind, owners = bound[var]
        known: set[str] = set()
        for owner in owners:
            declared = schema.node(owner) if kind == "node" else schema.relationship(owner)
            known.update(declared.property_names)
        if prop not in known:
            problems.append(f"{'/'.join(owners)} has no property {prop}")
    for regex, kind in ((_NODE_MAP, "node"), (_REL_MAP, "rel")):
        for owner, inner in regex.findall(body):
            if owner not in (schema.labels if kind == "node" else schema.rel_types):
                continue
            declared = schema.node(owner) if kind == "node" else schema.relationship(owner)
            for key in _MAP_KEY.findall(inner):
                if key not in declared.property_names:
                    problems.append(f"{owner} has no property {key}")
    return problems
