"""Checks a Cypher statement against the schema: it may name only declared labels, relationship types and
properties. Run by the tests over every file of ``cypher/`` and every statement the Bloom perspective carries.

It lives beside the schema (not in ``cypher/``) so the statement registry stays a leaf the stores import one way.
"""

from __future__ import annotations

import re

from graph.schema import SCHEMA, Schema

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
