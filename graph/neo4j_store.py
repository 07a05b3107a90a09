"""The production store: Neo4j 5 through the official ``neo4j`` driver (py2neo is end-of-life).

``neo4j://`` routing URIs work unchanged against a cluster or Aura. Writes are batched ``UNWIND $batch.rows … MERGE``
inside managed transactions, which the driver retries on transient errors (leader switches, deadlocks).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Self

import pyarrow as pa
import pyarrow.compute as pc

from cypher import registry
from graph.ddl import neo4j_named_ddl
from graph.errors import InvalidInput, StoreRefused, StoreUnavailable
from graph.identifiers import quote
from graph.schema import DATE_ADDED, SCHEMA, Schema
from graph.store import (
    ARROW_TYPES,
    FROM_KEY,
    TO_KEY,
    Result,
    Rows,
    StoredRows,
    UpsertSummary,
    anti_join,
    conform_nodes,
    conform_relationships,
    content_props,
    created_rows,
    empty_counts,
    in_key_order,
    stamp_new,
    stamps_versions,
    version_stamp,
)

# The driver logs a WARNING for every transaction it retries (a deadlock between two writer sessions, a leader
# switch): expected, handled, and not for the user's terminal. Without a handler of its own, Python's last-resort
# handler would print it to stderr; an application that configures logging still receives it.
logging.getLogger("neo4j").addHandler(logging.NullHandler())

BATCH_ROWS = 10_000
WRITERS = 2  # concurrent sessions for batches of rows known to be new (CREATE cannot conflict)
# The upserts' rows (and looked-up keys) go in as a list inside a map parameter, ``UNWIND $batch.rows``: Neo4j 5
# caches a plan per size class of a top-level list parameter (1, 2-10, 11-100, 101-1,000, more), so ``UNWIND $rows``
# planned each long upsert statement up to five times per server (a Dealer update ~2 s each); a nested list has no
# size hint, and every batch size shares one plan (a unique-key seek per row whatever the count).
ROWS = "$batch.rows"


class Neo4jStore:
    backend = "neo4j"

    def __init__(self, uri: str, user: str, password: str, database: str | None = None,
                 schema: Schema = SCHEMA, *, retry_seconds: float = 30.0) -> None:
        """``retry_seconds``: how long a transaction that failed on a lost connection or a transient error is
        retried before :class:`StoreUnavailable` (the driver's ``max_transaction_retry_time``; its default, 30 s,
        rides out a server restart or a leader switch; a caller that would rather fail fast gives less)."""
        import neo4j

        self.schema = schema
        self.database = database
        self.uri = uri
        self._driver = None
        # One bookmark manager for every session of this store: on a cluster, a read routed to another member
        # waits until it has this store's earlier writes (an upsert reads which keys exist, then writes).
        self._bookmarks = neo4j.GraphDatabase.bookmark_manager()
        with _translated(uri):
            try:
                # Neo4j's notifications (unknown labels on a fresh database, cartesian products) are advice for
                # query authors, not users: never print them.
                self._driver = neo4j.GraphDatabase.driver(uri, auth=(user, password),
                                                          notifications_min_severity="OFF",
                                                          warn_notification_severity="OFF",
                                                          max_transaction_retry_time=retry_seconds)
                self._driver.verify_connectivity()
            except ValueError as exc:
                raise InvalidInput(f"not a Neo4j URI: {uri!r} ({exc})") from exc
            except BaseException:
                if self._driver is not None:
                    self._driver.close()
                raise

    @property
    def driver(self) -> Any:
        """The ``neo4j`` driver (for clients that speak to the server themselves, e.g. Graph Data Science)."""
        assert self._driver is not None
        return self._driver

    def close(self) -> None:
        if self._driver is not None:
            self._driver.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # --- execution ---------------------------------------------------------------------------------------------

    def _run(self, text: str, params: dict[str, Any] | None, *, write: bool) -> Result:
        def work(tx: Any) -> tuple[list[str], list[list[Any]]]:
            result = tx.run(text, params or {})
            keys = list(result.keys())
            return keys, [list(record.values()) for record in result]

        assert self._driver is not None
        with _translated(self.uri), self._driver.session(database=self.database,
                                                         bookmark_manager=self._bookmarks) as session:
            keys, values = (session.execute_write if write else session.execute_read)(work)
        return Result(pa.table({k: [_plain(row[i]) for row in values] for i, k in enumerate(keys)}))

    def _read(self, text: str, params: dict[str, Any] | None = None) -> Result:
        return self._run(text, params, write=False)

    def _write(self, text: str, params: dict[str, Any] | None = None) -> None:
        self._run(text, params, write=True)

    def _write_returning(self, text: str, params: dict[str, Any] | None) -> Result:
        return self._run(text, params, write=True)

    def query(self, name: str, params: dict[str, Any] | None = None) -> Result:
        text = registry().get(name, self.backend)
        return self._run(text, params, write=not _is_read_only(text))

    def init_schema(self) -> None:
        """The schema's constraints and indexes that the database lacks (one ``SHOW INDEXES`` instead of ~40
        ``CREATE … IF NOT EXISTS`` transactions on a database that has them all: most commands open an existing
        store), then :meth:`migrate`."""
        indexes = self._read("SHOW INDEXES YIELD name, state RETURN name, state").rows()
        present = {index["name"] for index in indexes}
        missing = [statement for name, statement in neo4j_named_ddl(self.schema) if name not in present]
        for statement in missing:
            self._write(statement)
        if missing or any(index["state"] != "ONLINE" for index in indexes):  # wait for any still populating
            self._write("CALL db.awaitIndexes(300)")
        self.migrate()

    def migrate(self) -> list[str]:
        """Move values an older store holds under a property's former name (``Property.renamed_from``) to the
        new name; Neo4j needs nothing for added properties. Returns ``Type.old -> new`` for each rename run."""
        done = []
        owners = [(rel.name, rel.properties, f"()-[x:{quote(rel.name)}]->()") for rel in self.schema.relationships]
        owners += [(node.name, node.properties, f"(x:{quote(node.name)})") for node in self.schema.nodes]
        for owner, properties, pattern in owners:
            for prop in properties:
                if prop.renamed_from:
                    old, new = quote(prop.renamed_from), quote(prop.name)
                    self._write(f"MATCH {pattern} WHERE x.{old} IS NOT NULL AND x.{new} IS NULL "
                                f"SET x.{new} = x.{old} REMOVE x.{old}")
                    done.append(f"{owner}.{prop.renamed_from} -> {prop.name}")
        return done

    # --- upserts -----------------------------------------------------------------------------------------------

    def upsert_nodes(self, label: str, rows: Rows, *, stored: StoredRows | None = None) -> UpsertSummary:
        """Which keys exist (one index lookup per key), ``CREATE`` the new rows, ``SET`` (coalesce) the rest
        (``stored`` is not used: this store keeps no write count)."""
        node = self.schema.node(label)
        batch = conform_nodes(node, rows)
        if batch.num_rows == 0:
            return UpsertSummary(0, 0, 0)
        key, name = quote(node.key), quote(node.name)
        props = [c for c in batch.column_names if c != node.key]
        now = version_stamp()
        stamping = stamps_versions(node, batch)
        lookup = f"UNWIND {ROWS} AS k MATCH (n:{name} {{{key}: k}}) RETURN n.{key} AS {key}"
        keys = batch.select([node.key])
        # a chunk none of whose keys exist comes back as a column of type null: keep only the rows found, typed
        found = [self._read(lookup, _batch(chunk)).arrow() for chunk in _key_chunks(batch.column(node.key))]
        existing = pa.concat_tables([keys.slice(0, 0), *(t.cast(keys.schema) for t in found if t.num_rows)])
        new, old = anti_join(batch, existing, [node.key])
        new, temporal = _wire(stamp_new(new, now) if stamping else new, node.key)
        self._parallel(f"UNWIND {ROWS} AS row CREATE (n:{name}) SET n = {_as_map(temporal)} "
                       f"RETURN count(n) AS created", new)
        changed = 0
        if old.num_rows and props:
            old, temporal = _wire(old, node.key)

            def differs(names: list[str]) -> str:
                return " OR ".join(f"(row.{quote(p)} IS NOT NULL AND (n.{quote(p)} IS NULL OR "
                                   f"n.{quote(p)} <> {_value(p, temporal)}))" for p in names) or "false"

            sets = [f"n.{quote(p)} = coalesce({_value(p, temporal)}, n.{quote(p)})" for p in props]
            if stamping:  # a new version when a content property changes (compared before the SETs)
                sets.insert(0, f"n.{DATE_ADDED} = CASE WHEN content THEN $now ELSE n.{DATE_ADDED} END")
            # changed = any property differs = content OR a bookkeeping one: each comparison written once (a cold
            # server's planning time grows with the statement; the Dealer update was 7.7k characters)
            content = content_props(props)
            bookkeeping = [p for p in props if p not in content]
            changed_if = f"content OR ({differs(bookkeeping)})" if bookkeeping else "content"
            text = (f"UNWIND {ROWS} AS row MATCH (n:{name} {{{key}: row.{key}}}) "
                    f"WITH n, row, ({differs(content)}) AS content WITH n, row, content, {changed_if} AS changed "
                    f"SET {', '.join(sets)} RETURN sum(toInteger(changed))")
            changed = sum(int(self._write_returning(text, {**_batch(chunk), "now": now}).scalar() or 0)
                          for chunk in _chunks(old))
        return UpsertSummary(batch.num_rows, new.num_rows, old.num_rows, changed,
                             created_keys=new.column(node.key))

    def upsert_relationships(self, rel_type: str, from_label: str, to_label: str, rows: Rows, *,
                             created_from: pa.Array | None = None, created_to: pa.Array | None = None
                             ) -> UpsertSummary:
        """Rows touching a node created just now (the hints) are ``CREATE``d without a lookup; the rest are looked up
        from their endpoints and created where missing (:func:`_merge_from_endpoints`)."""
        rel = self.schema.relationship(rel_type)
        source, target = self.schema.node(from_label), self.schema.node(to_label)
        batch = conform_relationships(rel, source, target, rows)
        if batch.num_rows == 0:
            return UpsertSummary(0, 0, 0)
        fresh = created_rows(batch, created_from, created_to)
        rows_fresh = batch.slice(0, 0)
        if fresh is not None:
            rows_fresh, batch = batch.filter(fresh), batch.filter(pc.invert(fresh))
        props = [c for c in batch.column_names if c not in (FROM_KEY, TO_KEY, *rel.key)]
        match = (f"UNWIND {ROWS} AS row "
                 f"MATCH (a:{quote(source.name)} {{{quote(source.key)}: row.{FROM_KEY}}}) "
                 f"MATCH (b:{quote(target.name)} {{{quote(target.key)}: row.{TO_KEY}}}) ")
        matched = created = 0
        if rows_fresh.num_rows:
            every = [c for c in rows_fresh.column_names if c not in (FROM_KEY, TO_KEY)]
            rows_fresh, temporal = _wire(rows_fresh, FROM_KEY, TO_KEY)
            values = "{" + ", ".join(f"{quote(p)}: {_value(p, temporal)}" for p in every) + "}"
            text = f"{match}CREATE (a)-[e:{quote(rel.name)}]->(b) SET e = {values} RETURN count(e) AS created"
            done = self._parallel(text, rows_fresh, _dense_side(rows_fresh))["created"]
            matched += done
            created += done
        if batch.num_rows:
            batch, temporal = _wire(batch, FROM_KEY, TO_KEY)
            sets = "".join(f" SET e.{quote(p)} = coalesce({_value(p, temporal)}, e.{quote(p)})" for p in props)
            text = (f"{match}{_merge_from_endpoints(quote(rel.name), rel.key, temporal)}{sets} "
                    f"RETURN sum(toInteger(created)) AS created, count(e) AS matched")
            sums = self._parallel(text, batch, _dense_side(batch))
            created += sums["created"]
            matched += sums["matched"]
        total = batch.num_rows + rows_fresh.num_rows
        if matched < total:
            raise InvalidInput(f"{total - matched} {rel.name} row(s) name endpoints that do not exist")
        return UpsertSummary(total, created, total - created)

    def _parallel(self, text: str, table: pa.Table, partition: str | None = None) -> dict[str, int]:
        """Run a write of ``table``'s rows in batches of ``BATCH_ROWS`` over ``WRITERS`` sessions; the sums of the
        statement's returned columns.

        ``partition``: a key column; rows are split so that each key value goes to one session only, whose batches
        run one after another. Two sessions then never lock the same node on that side (for relationships: the
        side with fewer distinct keys, where the dense nodes are), and a ``MERGE`` of one pair of nodes can never
        run in two sessions at once. A deadlock on the other side is still possible, rare, and retried by the
        driver (a managed transaction). Without ``partition`` (CREATE of new nodes) batches go to any session."""
        def run(part: pa.Table) -> dict[str, int]:
            sums: dict[str, int] = defaultdict(int)
            for chunk in _chunks(part):
                for name, value in self._write_returning(text, _batch(chunk)).rows()[0].items():
                    sums[name] += int(value or 0)
            return sums

        if WRITERS == 1 or table.num_rows <= BATCH_ROWS:
            return run(table)
        if partition is None:  # every batch is independent
            parts = [table.slice(offset, BATCH_ROWS) for offset in range(0, table.num_rows, BATCH_ROWS)]
        else:
            codes = pc.dictionary_encode(table.column(partition)).combine_chunks().indices.to_numpy()
            bucket = pa.array(codes % WRITERS)
            parts = [table.filter(pc.equal(bucket, i)) for i in range(WRITERS)]
        total: dict[str, int] = defaultdict(int)
        with ThreadPoolExecutor(max_workers=WRITERS) as pool:
            for sums in pool.map(run, parts):
                for name, value in sums.items():
                    total[name] += value
        return total

    # --- reads for projections ---------------------------------------------------------------------------------

    def edge_list(self, rel_type: str, from_label: str, to_label: str,
                  properties: tuple[str, ...] = ()) -> pa.Table:
        rel = self.schema.relationship(rel_type)
        source, target = self.schema.node(from_label), self.schema.node(to_label)
        returns = [f"a.{quote(source.key)} AS src", f"b.{quote(target.key)} AS dst"]
        returns += [f"{_read_back('e', rel.prop(p).name, rel.prop(p).type)} AS {quote(p)}" for p in properties]
        text = (f"MATCH (a:{quote(source.name)})-[e:{quote(rel.name)}]->(b:{quote(target.name)}) "
                f"RETURN {', '.join(returns)}")
        table = self._read(text).arrow()
        schema = pa.schema([("src", pa.string()), ("dst", pa.string())]
                           + [(p, ARROW_TYPES[rel.prop(p).type]) for p in properties])
        return in_key_order(table.cast(schema)) if table.num_rows else schema.empty_table()

    def node_table(self, label: str, properties: tuple[str, ...] = ()) -> pa.Table:
        node = self.schema.node(label)
        returns = [f"n.{quote(node.key)} AS key"] + [
            f"{_read_back('n', node.prop(p).name, node.prop(p).type)} AS {quote(p)}" for p in properties]
        table = self._read(f"MATCH (n:{quote(node.name)}) RETURN {', '.join(returns)}").arrow()
        schema = pa.schema([("key", ARROW_TYPES[node.key_property.type])]
                           + [(p, ARROW_TYPES[node.prop(p).type]) for p in properties])
        return in_key_order(table.cast(schema), ["key"]) if table.num_rows else schema.empty_table()

    def counts(self) -> dict[str, dict[str, int]]:
        counts = empty_counts(self.schema)
        for label in self.schema.labels:
            counts["nodes"][label] = int(self._read(f"MATCH (n:{quote(label)}) RETURN count(n)").scalar())
        for rel in self.schema.rel_types:
            counts["relationships"][rel] = int(
                self._read(f"MATCH ()-[e:{quote(rel)}]->() RETURN count(e)").scalar())
        return counts


def _wire(table: pa.Table, *keys: str) -> tuple[pa.Table, dict[str, str]]:
    """``table`` with its DATE and TIMESTAMP columns (keys aside) as ISO text, and the Cypher function that reads
    each back (``date`` / ``localdatetime``). The driver converts every temporal value to Bolt in pure Python
    (``neo4j.time``, ~70 µs each: most of the client's CPU in a trace load); Arrow formats a column at once and the
    server parses it for less than the structure costs to decode."""
    temporal: dict[str, str] = {}
    columns = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        if name not in keys and pa.types.is_date32(column.type):
            column, temporal[name] = pc.strftime(column, format="%Y-%m-%d"), "date"
        elif name not in keys and pa.types.is_timestamp(column.type):  # Arrow writes the fraction (.ffffff)
            column, temporal[name] = pc.strftime(column, format="%Y-%m-%dT%H:%M:%S"), "localdatetime"
        columns.append(column)
    return (pa.table(columns, names=table.column_names) if temporal else table), temporal


def _value(prop: str, temporal: dict[str, str]) -> str:
    """The Cypher expression for ``row.prop`` as sent by :func:`_wire`."""
    value = f"row.{quote(prop)}"
    return f"{temporal[prop]}({value})" if prop in temporal else value


def _as_map(temporal: dict[str, str]) -> str:
    """``row`` with its temporal values read back (a map projection), for ``SET n = …``."""
    if not temporal:
        return "row"
    return "row {.*, " + ", ".join(f"{quote(p)}: {_value(p, temporal)}" for p in temporal) + "}"


def _read_back(var: str, prop: str, type_: str) -> str:
    """A property in a projection read: DATE and TIMESTAMP values as ISO text, which Arrow parses a column at a time
    (the driver would build a ``neo4j.time`` object per value, in Python: a table of a million persons' dates)."""
    value = f"{var}.{quote(prop)}"
    return f"toString({value})" if type_ in ("DATE", "TIMESTAMP") else value


def _merge_from_endpoints(rel_type: str, keys: tuple[str, ...], temporal: dict[str, str]) -> str:
    """``MERGE (a)-[e:rel_type {keys}]->(b)`` for bound ``a`` and ``b``, written so that its only plan expands from
    them: binds ``e`` and ``created`` (whether this statement made it).

    Neo4j plans a ``MERGE``'s lookup like a ``MATCH``, and with a relationship index on the key it may pick a scan of
    the whole index with the endpoints filtered after it; it does when the index's sample still describes an emptied
    database (estimate 0 rows), and keeps that plan: 17.5 M index entries read for 2,640 rows, ~38 s of server CPU
    in one statement where expanding took 0.3 s. Here the key is compared as a map (``seen {.k} = {k: …}``), which
    no index can answer, so the plan is an ``Expand(Into)`` between the two bound nodes whatever the statistics say.
    A missing relationship is created as ``LockingMerge`` does it: both endpoints locked (a property set and removed
    in the same transaction, Neo4j's explicit lock: nothing of it is committed), looked up again (another transaction
    may have created it and released the locks meanwhile), then created: a keyed relationship is never created twice."""
    values = ", ".join(f"{quote(k)}: {_value(k, temporal)}" for k in keys)
    identity = f" {{{values}}}" if keys else ""

    def found(var: str) -> str:
        keyed = f" WHERE {var} {{{', '.join(f'.{quote(k)}' for k in keys)}}} = {{{values}}}" if keys else ""
        return f"OPTIONAL MATCH (a)-[{var}:{rel_type}]->(b){keyed}"

    return (f"{found('seen')} "
            f"OPTIONAL CALL (a, b, row, seen) {{ WITH * WHERE seen IS NULL "
            f"SET a._merge_lock = true, b._merge_lock = true REMOVE a._merge_lock, b._merge_lock "
            f"WITH * {found('again')} "
            f"OPTIONAL CALL (a, b, row, again) {{ WITH * WHERE again IS NULL "
            f"CREATE (a)-[made:{rel_type}{identity}]->(b) RETURN made }} "
            f"RETURN coalesce(again, made) AS late, again IS NULL AS made_here }} "
            f"WITH row, coalesce(seen, late) AS e, coalesce(made_here, false) AS created")


def _dense_side(table: pa.Table) -> str:
    """The endpoint column with fewer distinct keys: where the nodes with many relationships are."""
    distinct = {c: pc.count_distinct(table.column(c)).as_py() for c in (FROM_KEY, TO_KEY)}
    return min(distinct, key=lambda c: (distinct[c], c))


def _batch(rows: list[Any]) -> dict[str, Any]:
    """The parameters of a statement that reads ``ROWS``."""
    return {"batch": {"rows": rows}}


def _chunks(table: pa.Table) -> Iterator[list[dict[str, Any]]]:
    for offset in range(0, table.num_rows, BATCH_ROWS):
        yield table.slice(offset, BATCH_ROWS).to_pylist()


def _key_chunks(column: pa.ChunkedArray) -> Iterator[list[Any]]:
    for offset in range(0, len(column), BATCH_ROWS * 5):
        yield column.slice(offset, BATCH_ROWS * 5).to_pylist()


@contextmanager
def _translated(uri: str) -> Iterator[None]:
    """Neo4j's errors as the project's error tree: one line naming what failed, no data values."""
    from neo4j import exceptions as neo

    try:
        yield
    except neo.AuthError as exc:
        raise StoreRefused(f"Neo4j at {uri} refused the credentials (check TRACEGRAPH_NEO4J_USER / "
                           f"TRACEGRAPH_NEO4J_PASSWORD)") from exc
    except neo.ConstraintError as exc:
        raise InvalidInput(f"Neo4j refused the data: {_first_line(exc)}") from exc
    except (neo.CypherSyntaxError, neo.CypherTypeError) as exc:
        raise InvalidInput(f"query rejected by Neo4j: {_first_line(exc)}") from exc
    except (neo.ServiceUnavailable, neo.SessionExpired, neo.DatabaseUnavailable, neo.IncompleteCommit,
            neo.TransientError, neo.SessionError, neo.ConnectionPoolError) as exc:
        raise StoreUnavailable(f"Neo4j at {uri} is unavailable ({type(exc).__name__}); what was written before "
                               f"stays, and re-running the same command completes it") from exc
    except neo.Neo4jError as exc:
        if getattr(exc, "code", "") and "Database" in str(getattr(exc, "code", "")) and \
                "Unavailable" in str(getattr(exc, "code", "")):
            raise StoreUnavailable(f"Neo4j at {uri} is unavailable ({exc.code})") from exc
        raise StoreUnavailable(f"Neo4j at {uri} failed: {getattr(exc, 'code', type(exc).__name__)}") from exc
    except OSError as exc:
        raise StoreUnavailable(f"Neo4j at {uri} is unreachable ({type(exc).__name__})") from exc


def _first_line(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return str(message).splitlines()[0][:300]


def _plain(value: Any) -> Any:
    """neo4j values -> Python ones, so results look the same from both backends: temporal values to ``datetime``
    (inside lists and maps too), nodes and relationships to their property maps."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    to_native = getattr(value, "to_native", None)
    if callable(to_native):
        return to_native()
    items = getattr(value, "items", None)
    if callable(items) and hasattr(value, "element_id"):  # Node / Relationship
        return {k: _plain(v) for k, v in items()}
    return value


_WRITE_CLAUSES = ("CREATE", "MERGE", "SET", "DELETE", "REMOVE", "DETACH")


def _is_read_only(text: str) -> bool:
    words = {w.upper() for w in text.replace("(", " ").split()}
    return not words.intersection(_WRITE_CLAUSES)
