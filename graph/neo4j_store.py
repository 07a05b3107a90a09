"""The production store: Neo4j 5 through the official ``neo4j`` driver (py2neo is end-of-life).

``neo4j://`` routing URIs work unchanged against a cluster or Aura. Writes are batched ``UNWIND $rows … MERGE``
inside managed transactions, which the driver retries on transient errors (leader switches, deadlocks).
"""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import Any, Self

import pyarrow as pa

from cypher import registry
from graph.ddl import neo4j_ddl
from graph.errors import InvalidInput, StoreUnavailable
from graph.identifiers import quote
from graph.schema import DATE_ADDED, SCHEMA, Schema
from graph.store import (
    ARROW_TYPES,
    FROM_KEY,
    TO_KEY,
    Result,
    Rows,
    UpsertSummary,
    conform_nodes,
    conform_relationships,
    content_props,
    empty_counts,
    stamps_versions,
    version_stamp,
)

BATCH_ROWS = 10_000


class Neo4jStore:
    backend = "neo4j"

    def __init__(self, uri: str, user: str, password: str, database: str | None = None,
                 schema: Schema = SCHEMA) -> None:
        import neo4j
        from neo4j import exceptions as neo4j_errors

        self.schema = schema
        self.database = database
        self._errors = neo4j_errors
        try:
            self._driver = neo4j.GraphDatabase.driver(uri, auth=(user, password))
            self._driver.verify_connectivity()
        except (neo4j_errors.ServiceUnavailable, neo4j_errors.AuthError, ValueError, OSError) as exc:
            raise StoreUnavailable(f"cannot reach Neo4j at {uri}: {type(exc).__name__}") from exc

    def close(self) -> None:
        self._driver.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # --- execution ---------------------------------------------------------------------------------------------

    def _read(self, text: str, params: dict[str, Any] | None = None) -> Result:
        def work(tx: Any) -> tuple[list[str], list[list[Any]]]:
            result = tx.run(text, params or {})
            keys = list(result.keys())
            return keys, [list(record.values()) for record in result]

        try:
            with self._driver.session(database=self.database) as session:
                keys, values = session.execute_read(work)
        except self._errors.CypherSyntaxError as exc:
            raise InvalidInput(f"query rejected by Neo4j: {exc.message}") from exc
        except self._errors.ServiceUnavailable as exc:
            raise StoreUnavailable(f"Neo4j unavailable: {type(exc).__name__}") from exc
        return Result(pa.table({k: [_plain(row[i]) for row in values] for i, k in enumerate(keys)}))

    def _write(self, text: str, params: dict[str, Any] | None = None) -> None:
        def work(tx: Any) -> None:
            tx.run(text, params or {}).consume()

        try:
            with self._driver.session(database=self.database) as session:
                session.execute_write(work)
        except self._errors.ConstraintError as exc:
            raise InvalidInput(f"Neo4j refused the data: {exc.message}") from exc
        except self._errors.ServiceUnavailable as exc:
            raise StoreUnavailable(f"Neo4j unavailable: {type(exc).__name__}") from exc

    def query(self, name: str, params: dict[str, Any] | None = None) -> Result:
        text = registry().get(name, self.backend)
        return self._read(text, params) if _is_read_only(text) else self._write_returning(text, params)

    def _write_returning(self, text: str, params: dict[str, Any] | None) -> Result:
        def work(tx: Any) -> tuple[list[str], list[list[Any]]]:
            result = tx.run(text, params or {})
            keys = list(result.keys())
            return keys, [list(record.values()) for record in result]

        with self._driver.session(database=self.database) as session:
            keys, values = session.execute_write(work)
        return Result(pa.table({k: [_plain(row[i]) for row in values] for i, k in enumerate(keys)}))

    def init_schema(self) -> None:
        for statement in neo4j_ddl(self.schema):
            self._write(statement)
        self.migrate()

    def migrate(self) -> list[str]:
        """Move values an older store holds under a property's former name (``Property.renamed_from``) to the
        new name; Neo4j needs nothing for added properties. Returns ``Type.old -> new`` for each rename run."""
        done = []
        for rel in self.schema.relationships:
            for prop in rel.properties:
                if prop.renamed_from:
                    old, new = quote(prop.renamed_from), quote(prop.name)
                    self._write(f"MATCH ()-[r:{quote(rel.name)}]->() WHERE r.{old} IS NOT NULL AND r.{new} IS NULL "
                                f"SET r.{new} = r.{old} REMOVE r.{old}")
                    done.append(f"{rel.name}.{prop.renamed_from} -> {prop.name}")
        for node in self.schema.nodes:
            for prop in node.properties:
                if prop.renamed_from:
                    old, new = quote(prop.renamed_from), quote(prop.name)
                    self._write(f"MATCH (n:{quote(node.name)}) WHERE n.{old} IS NOT NULL AND n.{new} IS NULL "
                                f"SET n.{new} = n.{old} REMOVE n.{old}")
                    done.append(f"{node.name}.{prop.renamed_from} -> {prop.name}")
        return done

    # --- upserts -----------------------------------------------------------------------------------------------

    def upsert_nodes(self, label: str, rows: Rows) -> UpsertSummary:
        node = self.schema.node(label)
        batch = conform_nodes(node, rows)
        props = [c for c in batch.column_names if c != node.key]
        stamp = ""
        if stamps_versions(node, batch):  # before the SETs below: compares the stored values with the row's
            changes = " OR ".join(f"(row.{quote(p)} IS NOT NULL AND (n.{quote(p)} IS NULL OR "
                                  f"row.{quote(p)} <> n.{quote(p)}))" for p in content_props(props)) or "false"
            stamp = (f" SET n.{DATE_ADDED} = CASE WHEN coalesce(n._created, false) OR {changes} THEN $now "
                     f"ELSE n.{DATE_ADDED} END")
        sets = "".join(f" SET n.{quote(p)} = coalesce(row.{quote(p)}, n.{quote(p)})" for p in props)
        text = (f"UNWIND $rows AS row MERGE (n:{quote(node.name)} {{{quote(node.key)}: row.{quote(node.key)}}}) "
                f"ON CREATE SET n._created = true{stamp}{sets} "
                f"WITH n, coalesce(n._created, false) AS created REMOVE n._created RETURN sum(toInteger(created))")
        now = version_stamp()
        created = sum(int(self._write_returning(text, {"rows": chunk, "now": now}).scalar() or 0)
                      for chunk in _chunks(batch))
        return UpsertSummary(batch.num_rows, created, batch.num_rows - created)

    def upsert_relationships(self, rel_type: str, from_label: str, to_label: str, rows: Rows, *,
                             created_from: pa.Array | None = None,
                             created_to: pa.Array | None = None) -> UpsertSummary:
        """``created_from`` / ``created_to`` are ignored: MERGE looks every row up anyway."""
        rel = self.schema.relationship(rel_type)
        source, target = self.schema.node(from_label), self.schema.node(to_label)
        batch = conform_relationships(rel, source, target, rows)
        props = [c for c in batch.column_names if c not in (FROM_KEY, TO_KEY, *rel.key)]
        identity = ", ".join(f"{quote(k)}: row.{quote(k)}" for k in rel.key)
        sets = "".join(f" SET e.{quote(p)} = coalesce(row.{quote(p)}, e.{quote(p)})" for p in props)
        text = (f"UNWIND $rows AS row "
                f"MATCH (a:{quote(source.name)} {{{quote(source.key)}: row.{FROM_KEY}}}) "
                f"MATCH (b:{quote(target.name)} {{{quote(target.key)}: row.{TO_KEY}}}) "
                f"MERGE (a)-[e:{quote(rel.name)}{' {' + identity + '}' if identity else ''}]->(b) "
                f"ON CREATE SET e._created = true{sets} "
                f"WITH e, coalesce(e._created, false) AS created REMOVE e._created "
                f"RETURN sum(toInteger(created)) AS created, count(e) AS matched")
        created = matched = 0
        for chunk in _chunks(batch):
            row = self._write_returning(text, {"rows": chunk}).rows()[0]
            created += int(row["created"] or 0)
            matched += int(row["matched"] or 0)
        if matched < batch.num_rows:
            raise InvalidInput(f"{batch.num_rows - matched} {rel.name} row(s) name endpoints that do not exist")
        return UpsertSummary(batch.num_rows, created, batch.num_rows - created)

    # --- reads for projections ---------------------------------------------------------------------------------

    def edge_list(self, rel_type: str, from_label: str, to_label: str,
                  properties: tuple[str, ...] = ()) -> pa.Table:
        rel = self.schema.relationship(rel_type)
        source, target = self.schema.node(from_label), self.schema.node(to_label)
        returns = [f"a.{quote(source.key)} AS src", f"b.{quote(target.key)} AS dst"]
        returns += [f"e.{quote(rel.prop(p).name)} AS {quote(p)}" for p in properties]
        text = (f"MATCH (a:{quote(source.name)})-[e:{quote(rel.name)}]->(b:{quote(target.name)}) "
                f"RETURN {', '.join(returns)}")
        table = self._read(text).arrow()
        schema = pa.schema([("src", pa.string()), ("dst", pa.string())]
                           + [(p, ARROW_TYPES[rel.prop(p).type]) for p in properties])
        return table.cast(schema) if table.num_rows else schema.empty_table()

    def node_table(self, label: str, properties: tuple[str, ...] = ()) -> pa.Table:
        node = self.schema.node(label)
        returns = [f"n.{quote(node.key)} AS key"] + [f"n.{quote(node.prop(p).name)} AS {quote(p)}"
                                                     for p in properties]
        table = self._read(f"MATCH (n:{quote(node.name)}) RETURN {', '.join(returns)}").arrow()
        schema = pa.schema([("key", ARROW_TYPES[node.key_property.type])]
                           + [(p, ARROW_TYPES[node.prop(p).type]) for p in properties])
        return table.cast(schema) if table.num_rows else schema.empty_table()

    def counts(self) -> dict[str, dict[str, int]]:
        counts = empty_counts(self.schema)
        for label in self.schema.labels:
            counts["nodes"][label] = int(self._read(f"MATCH (n:{quote(label)}) RETURN count(n)").scalar())
        for rel in self.schema.rel_types:
            counts["relationships"][rel] = int(
                self._read(f"MATCH ()-[e:{quote(rel)}]->() RETURN count(e)").scalar())
        return counts


def _chunks(table: pa.Table) -> Iterator[list[dict[str, Any]]]:
    for offset in range(0, table.num_rows, BATCH_ROWS):
        yield table.slice(offset, BATCH_ROWS).to_pylist()


def _plain(value: Any) -> Any:
    """neo4j temporal values -> Python ones, so results look the same from both backends."""
    to_native = getattr(value, "to_native", None)
    return to_native() if callable(to_native) else value


_WRITE_CLAUSES = ("CREATE", "MERGE", "SET", "DELETE", "REMOVE", "DETACH")


def _is_read_only(text: str) -> bool:
    words = {w.upper() for w in text.replace("(", " ").split()}
    return not words.intersection(_WRITE_CLAUSES)
