"""The one place where a name is put into Cypher text.

Values always travel as ``$parameters``. Labels, relationship types and property names cannot be parameters in
Cypher, so they come only from the schema and pass through :func:`quote`, which refuses anything the schema does
not declare.
"""

from __future__ import annotations

import re

from graph.schema import SCHEMA, Schema

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def quote(name: str) -> str:
    """Backtick-quote an identifier after checking it is a plain name (both dialects accept backticks)."""
    if not _IDENT.match(name):
        raise ValueError(f"not a plain identifier: {name!r}")
    return f"`{name}`"


def label(name: str, schema: Schema = SCHEMA) -> str:
    return quote(schema.node(name).name)


def rel_type(name: str, schema: Schema = SCHEMA) -> str:
    return quote(schema.relationship(name).name)


def node_property(label_name: str, prop: str, schema: Schema = SCHEMA) -> str:
    return quote(schema.node(label_name).prop(prop).name)


def rel_property(type_name: str, prop: str, schema: Schema = SCHEMA) -> str:
    return quote(schema.relationship(type_name).prop(prop).name)


def key_param(name: str) -> str:
    """A parameter name for a relationship key property (never clashing with ``from_key``/``to_key``)."""
    return f"k_{name}"


def string_literal(name: str) -> str:
    """A schema table name as a Cypher string literal (``CALL table_info('Person')``, ``COPY`` options), which
    cannot be a parameter either."""
    if "'" in name or "\\" in name:
        raise ValueError(f"not a plain label: {name!r}")
    return f"'{name}'"
