"""The embedded store: LadybugDB (``ladybug``, the maintained fork of Kùzu), one file on disk, no server.

Nothing here merges row by row (``UNWIND … MERGE`` keyed by an UNWIND variable runs at ~170 rows/s in the engine).
An upsert folds the batch in Arrow, finds which keys already exist (a hash join of the batch against the table, or
a scan of the table when that is cheaper), writes the new rows from Arrow (through the write-ahead log for a day's
batch, ``COPY`` for a history's: :mod:`graph.embedded_writes`) and updates the existing ones with one
``LOAD FROM $batch MATCH … SET`` statement. See ``docs/performance.md`` for the figures.

A store opened for writing never checkpoints when it is closed; :meth:`EmbeddedStore.checkpoint` does (``tracegraph
store checkpoint``, the end of a full ``analyze``), and the engine does by itself past
:data:`graph.embedded_writes.CHECKPOINT_THRESHOLD_BYTES` of log.

The engine locks its file: one process owns a store at a time. Opening a store that another process holds raises
:class:`graph.errors.StoreBusy` with one line saying so. A file written by the Kùzu-based versions of tracegraph
(Kùzu 0.11.3, whose format the fork cannot read) raises :class:`graph.errors.StoreNeedsMigration` naming
``tracegraph store migrate``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import ladybug
import pyarrow as pa
import pyarrow.compute as pc

from cypher import registry
from cypher.effects import without_comments
from graph import run_keys, side_keeping
from graph.ddl import embedded_column, embedded_ddl, missing_columns
from graph.embedded_log import abandon, close_left, is_kuzu_file, leave_to_exit, log_bytes, note_commit, open_engine
from graph.embedded_reader import reading_handle, refuse_write
from graph.embedded_reads import count_relationships
from graph.embedded_rel_reads import StoreReads
from graph.embedded_rel_writes import RelWrites
from graph.embedded_rel_writes import update as update_rels
from graph.embedded_tx_rels import TxRels
from graph.embedded_writes import (
    CHECKPOINT_THRESHOLD_BYTES,
    column,
    create_nodes,
    create_relationships,
    days_in_log,
    set_groups,
    set_nodes,
    through_log,
)
from graph.errors import (
    InvalidInput,
    StoreBusy,
    StoreFull,
    StoreNeedsMigration,
    StoreUnavailable,
    translate_engine_error,
)
from graph.identifiers import quote, string_literal
from graph.schema import SCHEMA, NodeLabel, RelType, Schema
from graph.store import (
    ARROW_TYPES,
    FROM_KEY,
    TO_KEY,
    Result,
    Rows,
    StoredRows,
    UpsertSummary,
    anti_join,
    changed_rows,
    conform_nodes,
    conform_relationships,
    created_rows,
    empty_counts,
    in_key_order,
    stamp_changed,
    stamp_new,
    stamps_versions,
    version_stamp,
)
from graph.write_count import WriteCount, stored_values
from graph.write_following import followed_by

# A hash-join probe handles roughly 50k (relationships) to 400k (nodes) batch rows per second; a full scan of a
# table reads a few million rows per second. Scan instead of probing when the table is this many times larger
# than the batch or less.
# (relationships: graph/embedded_rel_reads.py)
_SCAN_RATIO_NODES = 8
_col = column


# every write is told first to the run records (graph/run_keys.py: upserts record the keys each load run wrote), then
# to the side table's keeper (graph/side_keeping.py: it follows the write or deletes the files first)
@followed_by(run_keys.recorder, side_keeping.keeper)
class EmbeddedStore:
    backend = "embedded"

    def __init__(self, path: str | Path, schema: Schema = SCHEMA, *, buffer_pool_mb: int | None = None,
                 read_only: bool = False) -> None:
        self.path = Path(path)
        self.schema = schema
        self.read_only = read_only
        self.path.parent.mkdir(parents=True, exist_ok=True)
        kwargs: dict[str, Any] = {"buffer_pool_size": buffer_pool_mb * 1024 * 1024} if buffer_pool_mb else {}
        if read_only:  # several read-only processes may hold the file at once (the API's workers)
            kwargs["read_only"] = True
        elif days_in_log():  # the log keeps a few days; the checkpoint is taken where nobody waits
            kwargs["checkpoint_threshold"] = CHECKPOINT_THRESHOLD_BYTES  # (graph.embedded_writes)
        if is_kuzu_file(self.path):
            raise StoreNeedsMigration(
                f"the store {self.path} was written by a Kùzu-based tracegraph and this version uses LadybugDB: "
                f"convert it with `tracegraph store migrate {self.path} NEW_FILE` (the old file is left as it is)")
        self._open_kwargs = kwargs
        self._noted = -1  # the log size last recorded as committed (graph.embedded_log.note_commit)
        self.log_writes = True  # new rows may go through the log (graph.embedded_writes.through_log)
        self._in_batch = False  # inside batch(): a nested one joins it
        self._tx_rels = TxRels()  # the relationship rows batch()'s transaction wrote (graph.embedded_tx_rels)
        # statements that may have changed a row (and reopens, which follow a rollback), counted, with the labels
        # they wrote when known: rows a caller read are still what is stored while none wrote their label since
        # (graph.store.StoredRows, graph.write_count)
        self.written = WriteCount()
        self._reading = False  # a reader's handle (reader()): reads only, on its own connection
        self._last_close = False  # the end of its ``with`` without an error: its close may leave the engine to the exit
        close_left(self.path)  # (an engine left to the exit by this process still holds the file's lock)
        try:
            self._db = open_engine(self.path, kwargs)  # cuts a torn log back to its last commit (graph.embedded_log)
        except RuntimeError as exc:
            if "lock" in str(exc).lower():
                raise StoreBusy(
                    f"the embedded store {self.path} is in use by another process (a running `tracegraph serve`?); "
                    "stop it or send the request to its API"
                ) from None
            raise StoreUnavailable(f"cannot open the embedded store {self.path}: {str(exc).splitlines()[0]}") from exc
        self._connect()

    def _connect(self) -> None:
        self._conn = ladybug.Connection(self._db)
        self._migrated = False  # (also after a rollback's reopen: the migration may have been rolled back)
        if not self.read_only and days_in_log():  # closing (also batch()'s reopen) leaves the log: no checkpoint
            self._execute("CALL force_checkpoint_on_close=false")
        self._note_commit()

    def _note_commit(self) -> None:
        """After a commit (or an open for writing): record the log's size, where a torn log is cut back to."""
        if not self.read_only and not self._in_batch and (size := self.wal_bytes()) != self._noted:
            self._noted = note_commit(self.path, size)

    # --- lifecycle ---------------------------------------------------------------------------------------------

    def close(self) -> None:
        conn, db = getattr(self, "_conn", None), getattr(self, "_db", None)
        if self._reading:  # the database is its opener's
            db = None
        if getattr(self, "_full", False):  # a write failed on a full disk: closing would abort the process
            abandon(conn, db)
            self._conn = self._db = None  # type: ignore[assignment]
            return
        if db is not None and self._last_close and leave_to_exit(self.path, conn, db):  # the process ends now
            self._conn = self._db = None  # type: ignore[assignment]
            return
        if conn is not None:
            conn.close()
            self._conn = None  # type: ignore[assignment]
        if db is not None:
            db.close()
            self._db = None  # type: ignore[assignment]

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._last_close = exc_type is None
        self.close()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """One loader batch as one transaction: its nodes and relationships are committed together or not at all
        (a kill -9 inside it leaves none of them; the engine drops the uncommitted work when the file is next
        opened). On an error the transaction is rolled back and the database reopened: LadybugDB 0.22.0 crashes
        the process when a later ``COPY`` in the same database writes keys a rolled-back ``COPY`` had written.
        A full disk is left as it is: the command leaves at once (see :func:`graph.errors.translate_engine_error`).

        A batch inside a batch is part of the outer one (``tracegraph load day``: a day's files, their run
        records included, as one transaction). A day's commit is a write to the log (its new rows go through it:
        :mod:`graph.embedded_writes`); a history batch's commit checkpoints, as LadybugDB 0.22.0 does at every
        commit that copied rows. Both survive a kill right after the commit (tests/graph/test_write_paths.py)."""
        if self._in_batch:
            yield
            return
        self._execute("BEGIN TRANSACTION")
        self._in_batch = True
        try:
            yield
        except StoreFull:
            raise
        except BaseException:
            with suppress(RuntimeError):  # a failed statement already ended the transaction
                self._conn.execute("ROLLBACK")
            self._reopen()
            raise
        finally:
            self._in_batch = False
            self._tx_rels.clear()
        self._execute("COMMIT")  # (_execute records the log's size after every commit)
        # LadybugDB 0.22.0 keeps a committed transaction's buffer-pool memory until the database is closed (a 12 GB
        # pool filled in the national multiple-sales load; tests/graph/test_embedded_store.py): reopen after a
        # commit that checkpointed (a history's batch); after one to the log a reopen would replay the whole log
        if self.wal_bytes() == 0:
            self._reopen()

    @contextmanager
    def reader(self, threads: int = 0) -> Iterator[EmbeddedStore | None]:
        """Inside: a handle for reads from another thread while this one goes on: a second connection to the
        open database (``graph.store.reader``; an analysis's trace lane, :mod:`algorithms.trace_lane`). It sees
        what is committed and refuses to write. None inside a transaction: its writes are not committed yet.
        ``threads``: the engine's workers one of its statements may take (0: all of them; see graph.store.reader)."""
        if self._in_batch or self._db is None:
            yield None
            return
        other = reading_handle(self, ladybug.Connection(self._db, num_threads=threads))
        try:
            yield other
        finally:
            other.close()

    @contextmanager
    def workers(self, count: int) -> Iterator[None]:
        """Inside: at most ``count`` of the engine's workers run one of this connection's statements (graph.store
        .workers: another connection's statements, run meanwhile, take the others); all of them again after."""
        self._conn.set_max_threads_for_exec(count)
        try:
            yield
        finally:
            self._conn.set_max_threads_for_exec(0)

    @contextmanager
    def engine_meter(self) -> Iterator[Callable[[], int]]:
        """Inside: a function giving the bytes the engine's buffer manager holds now (``CALL bm_info()``), on a
        connection of its own, so a sampling thread can call it while this one works (``bench/memory_probe.py``)."""
        if self._db is None:
            raise StoreUnavailable(f"{self.path} is closed")
        connection = ladybug.Connection(self._db)
        def meter() -> int:
            result = connection.execute("CALL bm_info() RETURN mem_usage")
            assert not isinstance(result, list)
            return int(result.get_as_arrow().column(0)[0].as_py())

        try:
            yield meter
        finally:
            connection.close()

    def node_offsets(self, label: str, keys: list[str]) -> list[int]:
        """The engine's row offsets of the nodes with these keys (a node group is 131,072 offsets): which parts
        of a table a write touches (``bench/bench_batch_memory.py --groups``)."""
        key = self.schema.node(label).key
        found = self._execute(f"UNWIND $keys AS k MATCH (n:{quote(label)} {{{quote(key)}: k}}) "
                              "RETURN offset(id(n)) AS o", {"keys": sorted(set(keys))})
        return [int(o) for o in found.arrow().column(0).to_pylist()]

    @property
    def writes(self) -> int:
        """Statements that may have changed a row since the store was opened (reads never count)."""
        return self.written.count

    def _reopen(self) -> None:
        self.written.anything()
        self.close()
        self._db = open_engine(self.path, self._open_kwargs)
        self._connect()

    def checkpoint(self) -> int:
        """Write the write-ahead log's changes into the file and empty the log (what a day's commits left for
        later); returns the log's size in bytes before. The weekly full ``analyze`` and ``tracegraph store
        checkpoint`` call it; a daily command never does."""
        before = self.wal_bytes()
        self._execute("CHECKPOINT")
        return before

    @contextmanager
    def rows_copied(self) -> Iterator[bool]:
        """Inside: the log written into the file, which frees what its changes held in the page cache (the engine
        cannot evict them), and new rows ``COPY``'d, each commit checkpointing, as with the log path off. Yields
        whether the log held anything (nothing freed: a retry would fail the same way). The daily analysis retries
        in it when its page cache filled (:func:`api.services.daily.incremental`)."""
        held = self.wal_bytes() > 0
        if held:
            self.checkpoint()
        self.log_writes = False
        try:
            yield held
        finally:
            self.log_writes = True

    def wal_bytes(self) -> int:
        """The size of the store's write-ahead log: what every open replays until the next checkpoint."""
        return log_bytes(self.path)

    # --- execution ---------------------------------------------------------------------------------------------

    def _execute(self, text: str, params: dict[str, Any] | None = None) -> Result:
        stripped = without_comments(text)
        if self._reading:
            refuse_write(stripped)
        else:
            self.written.statement(stripped)
            self._tx_rels.statement(stripped, params)
        try:
            result = self._conn.execute(text, params or {})
        except RuntimeError as exc:
            error = translate_engine_error(exc, self.path)
            self._full = isinstance(error, StoreFull)
            raise error from exc
        self._note_commit()
        assert not isinstance(result, list)
        table = result.get_as_arrow(chunk_size=1_000_000)
        result.close()
        return Result(table)

    def query(self, name: str, params: dict[str, Any] | None = None) -> Result:
        return self._execute(registry().get(name, self.backend), params)

    def init_schema(self) -> None:
        self.migrate()

    def migrate(self) -> list[str]:
        """Add the properties the schema declares that an older store's tables lack (``CREATE … IF NOT EXISTS``
        leaves existing tables as they were); existing values stay, new columns start null. Returns ``Table.property``
        for each column added. Once per open (the file is this process's alone; a day's loads each ask). A store
        that has every table runs none of the 44 (each would leave its table as it is: a commit for nothing)."""
        if self._migrated:
            return []
        declared = self._declared()
        if self.read_only or not set(declared) <= self._tables():  # (a read-only store refuses them, as ever)
            self._schema_statements(embedded_ddl(self.schema))  # labels and types the schema gained: new tables
        added = []
        for missing in missing_columns(self.schema, self._columns(declared).__getitem__):
            statement, what = embedded_column(*missing)
            self._execute(statement)
            added.append(what)
        self._migrated = True
        return added

    def _schema_statements(self, statements: Iterable[str]) -> None:
        """Schema statements in one transaction: one commit (and one flush of the committed-size marker), where
        each statement alone was a commit of its own (a new store's 44 tables: 45 fsyncs, ~0.2-0.4 s on a VM's
        disk); a failure part way leaves none of them. Not a :meth:`batch`: no rows, nothing for its followers.
        Inside a batch, part of it."""
        if self._in_batch:
            for statement in statements:
                self._execute(statement)
            return
        self._execute("BEGIN TRANSACTION")
        self._in_batch = True
        try:
            for statement in statements:
                self._execute(statement)
        except StoreFull:
            raise
        except BaseException:
            with suppress(RuntimeError):  # a failed statement already ended the transaction
                self._conn.execute("ROLLBACK")
            raise
        finally:
            self._in_batch = False
        self._execute("COMMIT")

    def schema_gaps(self) -> list[str]:
        """The tables and properties the schema declares that this store lacks (``Table`` or ``Table.property``):
        a store written by an older version, which :meth:`migrate` (``tracegraph init``) brings up to date. A
        store with none of the schema's tables (never initialised) has no gaps: it is new, not old. None on a
        writable store: :meth:`migrate` has nothing to add in this open (every command asks both)."""
        have = self._tables()
        declared = self._declared()
        if not have & set(declared):
            return []
        stored = self._columns([name for name in declared if name in have])
        gaps = [name for name in declared if name not in have] + [
            f"{table}.{prop.name}" for table, prop, _ in missing_columns(self.schema, stored.__getitem__, have)]
        if not gaps and not self.read_only:
            self._migrated = True
        return gaps

    def _tables(self) -> set[str]:
        return set(self._execute("CALL show_tables() RETURN name").arrow().column(0).to_pylist())

    def _declared(self) -> list[str]:
        """The schema's tables, in :func:`graph.ddl.embedded_ddl`'s order."""
        return [n.name for n in self.schema.nodes] + [r.name for r in self.schema.relationships]

    def _columns(self, tables: list[str]) -> dict[str, set[str]]:
        """Each table's stored columns, eight tables a statement (``CALL table_info`` a table, ``UNION ALL``): six
        statements' parse and result instead of 44, ~0.035 CPU s less each open (a statement of all 44 needs more
        than a 32 MB page cache; eight need ~16 MB)."""
        stored: dict[str, set[str]] = {table: set() for table in tables}
        for at in range(0, len(tables), 8):
            text = " UNION ALL ".join(f"CALL table_info({string_literal(t)}) RETURN {string_literal(t)} AS t, name"
                                      for t in tables[at:at + 8])
            for row in self._execute(text).arrow().to_pylist():
                stored[row["t"]].add(row["name"])
        return stored

    # --- upserts -----------------------------------------------------------------------------------------------

    def _count_label(self, label: str) -> int:
        return int(self._execute(f"MATCH (n:{quote(label)}) RETURN count(n)").scalar())

    def _count_rel(self, rel: str, from_label: str, to_label: str, at_most: int | None = None) -> int:
        text = count_relationships(self.schema.relationship(rel), from_label, to_label, at_most)
        return int(self._execute(text).scalar())

    @property
    def _reads(self) -> StoreReads:
        """This store's statements and counts, for the relationship reads of :mod:`graph.embedded_rel_reads`."""
        return StoreReads(self._execute, self._count_rel, self._count_label)

    def upsert_nodes(self, label: str, rows: Rows, *, stored: StoredRows | None = None) -> UpsertSummary:
        with self.written.confined((label,)):
            return self._upsert_nodes(label, rows, stored)

    def _upsert_nodes(self, label: str, rows: Rows, stored: StoredRows | None) -> UpsertSummary:
        node = self.schema.node(label)
        batch = conform_nodes(node, rows)
        if batch.num_rows == 0:
            return UpsertSummary(0, 0, 0)
        props = [c for c in batch.column_names if c != node.key]
        existing = stored_values(self.written, node, batch, props, stored)
        if existing is None:
            existing = self._existing_nodes(node, batch, props)
        new, old = anti_join(batch, existing, [node.key])
        stamp = version_stamp() if stamps_versions(node, batch) else None
        if new.num_rows:
            if stamp is not None:
                new = stamp_new(new, stamp)
            if through_log(new.num_rows, allowed=self.log_writes):
                self._execute(create_nodes(node, new.column_names),
                              {"batch": new.rename_columns([_col(c) for c in new.column_names])})
            else:
                columns = ", ".join(quote(c) for c in new.column_names)
                self._execute(f"COPY {quote(label)}({columns}) FROM $batch", {"batch": new})
        changed = changed_rows(old, existing, [node.key], props)
        if changed.num_rows:
            if stamp is not None:
                changed = stamp_changed(changed, old, existing, node.key, props, stamp)
            for part in set_groups(changed, existing, node.key):  # each row's changed properties only
                self._execute(set_nodes(node, part),
                              {"batch": part.rename_columns([_col(c) for c in part.column_names])})
        return UpsertSummary(batch.num_rows, new.num_rows, old.num_rows, changed.num_rows,
                             created_keys=new.column(node.key))

    def _existing_nodes(self, node: NodeLabel, batch: pa.Table, props: list[str]) -> pa.Table:
        """Key and current values of ``props`` for the batch's keys that exist.

        A table large next to the batch: one hash join of the batch against it (the matched rows' values). A small
        one: first which keys exist (a scan of the key column), then the current values of the matched rows only (a
        scan when they are a large share of the table, else a join)."""
        total = self._count_label(node.name)
        if total == 0:
            return batch.slice(0, 0)
        key = quote(node.key)
        label = quote(node.name)
        returns = ", ".join(f"n.{quote(c)} AS {quote(c)}" for c in [node.key, *props])
        join = f"LOAD FROM $batch MATCH (n:{label} {{{key}: {_col(node.key)}}}) RETURN {returns}"
        if total > batch.num_rows * _SCAN_RATIO_NODES:  # so more than that times the matched rows: one join
            return self._execute(join, {"batch": batch.select([node.key]).rename_columns([_col(node.key)])}).arrow()
        keys = self._execute(f"MATCH (n:{label}) RETURN n.{key} AS {key}").arrow()
        matched = anti_join(batch.select([node.key]), keys, [node.key])[1]
        if matched.num_rows == 0 or not props:
            return matched
        if total <= matched.num_rows * _SCAN_RATIO_NODES:
            return self._execute(f"MATCH (n:{label}) RETURN {returns}").arrow()
        return self._execute(join, {"batch": matched.rename_columns([_col(node.key)])}).arrow()

    def upsert_relationships(self, rel_type: str, from_label: str, to_label: str, rows: Rows, *,
                             created_from: pa.Array | None = None, created_to: pa.Array | None = None
                             ) -> UpsertSummary:
        with self.written.confined(()):  # relationship rows only
            return self._upsert_relationships(rel_type, from_label, to_label, rows, created_from, created_to)

    def _upsert_relationships(self, rel_type: str, from_label: str, to_label: str, rows: Rows,
                              created_from: pa.Array | None, created_to: pa.Array | None) -> UpsertSummary:
        rel = self.schema.relationship(rel_type)
        source, target = self.schema.node(from_label), self.schema.node(to_label)
        batch = conform_relationships(rel, source, target, rows)
        if batch.num_rows == 0:
            return UpsertSummary(0, 0, 0)
        fresh = created_rows(batch, created_from, created_to)
        if fresh is not None:  # rows at a node created just now cannot exist yet: no lookup
            rows_fresh, batch = batch.filter(fresh), batch.filter(pc.invert(fresh))
            if rows_fresh.num_rows:
                self._copy_rels(rel, from_label, to_label, rows_fresh)
        else:
            rows_fresh = batch.slice(0, 0)
        identity = [FROM_KEY, TO_KEY, *rel.key]
        props = [c for c in batch.column_names if c not in identity]
        writes = RelWrites(self._execute, self._copy_rels, self._tx_rels)
        new, old, changed = update_rels(writes, self._reads, rel, source, target, batch, identity, props)
        created = rows_fresh.num_rows + new
        return UpsertSummary(created + old, created, old, changed)

    def _copy_rels(self, rel: RelType, from_label: str, to_label: str, rows: pa.Table) -> None:
        """Write new relationships: through the log (a day's batch) or COPY (a history's). Both refuse the batch
        when an endpoint does not exist; COPY into a relationship table takes a non-empty column list or every
        column."""
        props = rows.column_names[2:]
        if self._in_batch:
            self._tx_rels.note((rel.name, from_label, to_label), rows)
        if through_log(rows.num_rows, allowed=self.log_writes):
            text = create_relationships(rel, self.schema.node(from_label), self.schema.node(to_label), props)
            batch = {"batch": rows.rename_columns([_col(c) for c in rows.column_names])}
            created = -1
            if not self._in_batch:  # all of the rows or none, as COPY
                self._execute("BEGIN TRANSACTION")
            try:
                created = int(self._execute(text, batch).scalar())
            finally:
                if not self._in_batch:
                    with suppress(RuntimeError):
                        self._conn.execute("COMMIT" if created == rows.num_rows else "ROLLBACK")
            if created != rows.num_rows:
                raise InvalidInput(f"relationship endpoint does not exist: {rows.num_rows - created} of "
                                   f"{rows.num_rows} new {rel.name} rows name a {from_label} or {to_label} "
                                   "that is not in the store")
            return
        if props:
            full, columns = rows, f"({', '.join(quote(p) for p in props)})"
        else:
            full = pa.table({FROM_KEY: rows.column(FROM_KEY), TO_KEY: rows.column(TO_KEY),
                             **{p.name: pa.nulls(rows.num_rows, ARROW_TYPES[p.type]) for p in rel.properties}})
            columns = ""
        several = len(rel.endpoints) > 1
        options = f" (from={string_literal(from_label)}, to={string_literal(to_label)})" if several else ""
        self._execute(f"COPY {quote(rel.name)}{columns} FROM $batch{options}", {"batch": full})

    def written_rels(self, rel_type: str, from_label: str, to_label: str) -> pa.Table | None:
        """The relationship rows of the type this store's open transaction (:meth:`batch`) wrote, the last values of
        each (``from_key``, ``to_key``, key, the properties written), for reads the engine may blind (LadybugDB 0.22
        misses some inside the transaction: graph.embedded_tx_rels); None: none kept."""
        rel = self.schema.relationship(rel_type)
        return self._tx_rels.written((rel_type, from_label, to_label), [FROM_KEY, TO_KEY, *rel.key])

    # --- reads for projections ---------------------------------------------------------------------------------

    def edge_list(self, rel_type: str, from_label: str, to_label: str,
                  properties: tuple[str, ...] = ()) -> pa.Table:
        rel = self.schema.relationship(rel_type)
        source, target = self.schema.node(from_label), self.schema.node(to_label)
        returns = [f"a.{quote(source.key)} AS src", f"b.{quote(target.key)} AS dst"]
        returns += [f"e.{quote(rel.prop(p).name)} AS {quote(p)}" for p in properties]
        text = (f"MATCH (a:{quote(source.name)})-[e:{quote(rel.name)}]->(b:{quote(target.name)}) "
                f"RETURN {', '.join(returns)}")
        return in_key_order(self._execute(text).arrow())

    def node_table(self, label: str, properties: tuple[str, ...] = ()) -> pa.Table:
        node = self.schema.node(label)
        returns = [f"n.{quote(node.key)} AS key"]
        returns += [f"n.{quote(node.prop(p).name)} AS {quote(p)}" for p in properties]
        table = self._execute(f"MATCH (n:{quote(node.name)}) RETURN {', '.join(returns)}").arrow()
        return in_key_order(table, ["key"])

    def counts(self) -> dict[str, dict[str, int]]:
        tables = set(self._execute("CALL show_tables() RETURN name").arrow().column(0).to_pylist())
        if not set(self.schema.labels) <= tables:
            raise InvalidInput(f"the store {self.path} has no schema yet: run `tracegraph init` first")
        counts = empty_counts(self.schema)
        for label in self.schema.labels:
            counts["nodes"][label] = self._count_label(label)
        for rel in self.schema.rel_types:
            text = f"MATCH ()-[e:{quote(rel)}]->() RETURN count(e)"
            counts["relationships"][rel] = int(self._execute(text).scalar())
        return counts

    def table_counts(self) -> dict[str, dict[str, int]]:
        """Rows in every node and relationship table the file holds, whether or not the schema declares it (a
        migration compares these before and after)."""
        counts: dict[str, dict[str, int]] = {"nodes": {}, "relationships": {}}
        for row in self._execute("CALL show_tables() RETURN name, type").rows():
            name, kind = str(row["name"]), str(row["type"])
            if kind == "NODE":
                counts["nodes"][name] = int(self._execute(f"MATCH (n:{quote(name)}) RETURN count(n)").scalar())
            elif kind == "REL":
                text = f"MATCH ()-[e:{quote(name)}]->() RETURN count(e)"
                counts["relationships"][name] = int(self._execute(text).scalar())
        return counts

