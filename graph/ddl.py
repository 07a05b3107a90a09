"""DDL generated from the schema: Kùzu tables and Neo4j 5 constraints/indexes. Both are idempotent."""

from __future__ import annotations

from collections.abc import Callable

from graph.identifiers import quote
from graph.schema import SCHEMA, Property, Schema


def embedded_ddl(schema: Schema = SCHEMA) -> list[str]:
    """``CREATE NODE/REL TABLE IF NOT EXISTS`` statements, nodes first (rel tables reference them); a one-way type
    (:attr:`graph.schema_model.RelType.one_way`) stored forward only. ``IF NOT EXISTS`` leaves an existing table as
    it is: a store created before a type became one-way keeps both directions (it answers every statement)."""
    statements: list[str] = []
    for node in schema.nodes:
        columns = []
        for prop in node.properties:
            suffix = " PRIMARY KEY" if prop.name == node.key else ""
            columns.append(f"{quote(prop.name)} {prop.type}{suffix}")
        statements.append(f"CREATE NODE TABLE IF NOT EXISTS {quote(node.name)}({', '.join(columns)})")
    for rel in schema.relationships:
        parts = [f"FROM {quote(src)} TO {quote(dst)}" for src, dst in rel.endpoints]
        parts += [f"{quote(p.name)} {p.type}" for p in rel.properties]
        one_way = " WITH (storage_direction = 'fwd')" if rel.one_way else ""
        statements.append(f"CREATE REL TABLE IF NOT EXISTS {quote(rel.name)}({', '.join(parts)}){one_way}")
    return statements


def missing_columns(schema: Schema, columns_of: Callable[[str], set[str]], tables: set[str] | None = None
                    ) -> list[tuple[str, Property, str | None]]:
    """(table, property, the older name it is stored under or None) for each declared property a table lacks
    (``columns_of(table)``: its stored columns' names; only the tables in ``tables``, when given)."""
    declared = [(n.name, n.properties) for n in schema.nodes]
    declared += [(r.name, r.properties) for r in schema.relationships]
    missing = []
    for table, properties in declared:
        if tables is not None and table not in tables:
            continue
        have = columns_of(table)
        for prop in properties:
            if prop.name in have:
                continue
            renamed = prop.renamed_from if prop.renamed_from in have else None
            missing.append((table, prop, renamed))
    return missing


def embedded_column(table: str, prop: Property, renamed: str | None) -> tuple[str, str]:
    """The statement that gives an embedded table a missing column (renamed: keeping the values under the new
    name), and what it adds (``Table.property``, or ``Table.old -> new``)."""
    if renamed:
        return (f"ALTER TABLE {quote(table)} RENAME {quote(renamed)} TO {quote(prop.name)}",
                f"{table}.{renamed} -> {prop.name}")
    return f"ALTER TABLE {quote(table)} ADD IF NOT EXISTS {quote(prop.name)} {prop.type}", f"{table}.{prop.name}"


def neo4j_ddl(schema: Schema = SCHEMA) -> list[str]:
    """Key constraints (``IS UNIQUE`` works on Community and Enterprise) and range indexes."""
    return [statement for _, statement in neo4j_named_ddl(schema)]


def neo4j_named_ddl(schema: Schema = SCHEMA) -> list[tuple[str, str]]:
    """:func:`neo4j_ddl` with the name each statement gives its constraint or index (a uniqueness constraint's
    backing index carries the constraint's name), so a store can skip what it already holds."""
    statements: list[tuple[str, str]] = []
    for node in schema.nodes:
        lower = node.name.lower()
        name = f"{lower}_{node.key}_unique"
        statements.append((name, f"CREATE CONSTRAINT {quote(name)} IF NOT EXISTS "
                                 f"FOR (n:{quote(node.name)}) REQUIRE n.{quote(node.key)} IS UNIQUE"))
        for prop in node.properties:
            if prop.indexed and prop.name != node.key:
                name = f"{lower}_{prop.name}"
                statements.append((name, f"CREATE INDEX {quote(name)} IF NOT EXISTS "
                                         f"FOR (n:{quote(node.name)}) ON (n.{quote(prop.name)})"))
    for rel in schema.relationships:
        for key in rel.key:
            name = f"{rel.name.lower()}_{key}"
            statements.append((name, f"CREATE INDEX {quote(name)} IF NOT EXISTS "
                                     f"FOR ()-[r:{quote(rel.name)}]-() ON (r.{quote(key)})"))
    return statements


def render(statements: list[str]) -> str:
    return "".join(f"{s};\n" for s in statements)
