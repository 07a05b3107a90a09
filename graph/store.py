"""The store interface every backend implements, and the pieces they share.

A store holds the graph described by :data:`graph.schema.SCHEMA`. It is deliberately narrow: schema creation,
idempotent upserts keyed by the schema's keys, named Cypher from ``cypher/`` with parameters, edge lists for
in-memory projections, and counts. The same contract suite (``tests/contract``) runs against every backend.

Upsert semantics (both backends):

* nodes are identified by their label's key; relationships by their two endpoints plus the type's ``key``
  properties;
* a batch may carry any subset of the declared properties; a null value never erases a stored one
  (``coalesce``), so partial records from different sources complement each other;
* duplicates inside one batch are folded first (for each property, the last non-null value wins);
* re-running the same batch changes nothing;
* a label that declares ``date_added`` gets it stamped by the store (:func:`version_stamp`) on every node the
  upsert creates and every node whose content (a property other than the run ids) it changes: when the graph
  learned that version. A batch that carries ``date_added`` itself keeps its own values.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self, TypeAlias, TypeVar, cast, runtime_checkable

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graph.errors import InvalidInput
from graph.schema import DATE_ADDED, SCHEMA, NodeLabel, PropertyType, RelType, Schema

FROM_KEY = "from_key"
TO_KEY = "to_key"

ARROW_TYPES: dict[PropertyType, pa.DataType] = {
    "STRING": pa.string(),
    "INT64": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOL": pa.bool_(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
}

Rows: TypeAlias = pa.Table | pd.DataFrame | list[dict[str, Any]]


@dataclass(frozen=True)
class UpsertSummary:
    """What one upsert did: rows after folding duplicates, of which ``created`` were new and ``updated``
    already existed (``changed`` of those had a value that differed and was written)."""

    rows: int
    created: int
    updated: int
    changed: int = 0
    created_keys: pa.Array | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class StoredRows:
    """Stored rows of one label as a caller read them: ``table`` holds the key column (named as the label's key) and
    some properties, one row per key of ``asked`` that exists; ``writes`` is the store's write count when they were
    read (``EmbeddedStore.writes``). :meth:`GraphStore.upsert_nodes` given them takes the stored values from them
    instead of reading them again, but only if nothing was written since and they cover the batch (all its keys
    asked, all its properties read); otherwise, and on a backend without a write count, it reads as without them."""

    table: pa.Table
    asked: pa.Array
    writes: int


class Result:
    """Query results, available as rows (dicts), a pandas DataFrame or an Arrow table."""

    def __init__(self, table: pa.Table) -> None:
        self._table = table

    @property
    def columns(self) -> list[str]:
        return list(self._table.column_names)

    def arrow(self) -> pa.Table:
        return self._table

    def df(self) -> pd.DataFrame:
        return self._table.to_pandas()

    def rows(self) -> list[dict[str, Any]]:
        return self._table.to_pylist()

    def scalar(self) -> Any:
        if self._table.num_rows == 0 or self._table.num_columns == 0:
            return None
        return self._table.column(0)[0].as_py()

    def __len__(self) -> int:
        return self._table.num_rows


@runtime_checkable
class GraphStore(Protocol):
    """What every backend offers. See the module docstring for upsert semantics."""

    backend: str
    schema: Schema

    def init_schema(self) -> None:
        """Create every table / constraint / index the schema declares. Idempotent."""

    def upsert_nodes(self, label: str, rows: Rows, *, stored: StoredRows | None = None) -> UpsertSummary:
        """Create or update nodes of one label, keyed by the label's key. ``stored``: the rows' stored values as the
        caller has just read them (:class:`StoredRows`): a hint only, results are the same without it."""

    def upsert_relationships(self, rel_type: str, from_label: str, to_label: str, rows: Rows, *,
                             created_from: pa.Array | None = None, created_to: pa.Array | None = None
                             ) -> UpsertSummary:
        """Create or update relationships; rows carry ``from_key``, ``to_key`` and properties.

        ``created_from`` / ``created_to``: keys of endpoint nodes the caller has just created (an upsert's
        ``created_keys``) and that can have no relationship of this type yet; a backend may write the rows
        touching them without looking for existing ones. Hints only: results are the same without them."""

    def query(self, name: str, params: dict[str, Any] | None = None) -> Result:
        """Run the named statement from ``cypher/`` with ``$parameters``."""

    def edge_list(self, rel_type: str, from_label: str, to_label: str,
                  properties: tuple[str, ...] = ()) -> pa.Table:
        """All relationships of a type between two labels as ``src, dst, <properties>`` (keys of the endpoints),
        sorted by every column (:func:`in_key_order`)."""

    def node_table(self, label: str, properties: tuple[str, ...] = ()) -> pa.Table:
        """All nodes of a label as ``key, <properties>``, sorted by key."""

    def counts(self) -> dict[str, dict[str, int]]:
        """``{"nodes": {label: n}, "relationships": {type: n}}`` with every label and type, zeros included."""

    def close(self) -> None:
        """Release the store (files, locks, connections)."""

    def __enter__(self) -> Self: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...


def one_unit(store: GraphStore) -> AbstractContextManager[None]:
    """The store's transaction (the embedded store: :meth:`graph.embedded_store.EmbeddedStore.batch`, ``BEGIN``
    ... ``COMMIT``; inside an enclosing one, part of it); Neo4j commits each statement on its own,
    so there the caller's run record stays the unit."""
    begin = getattr(store, "batch", None)
    return begin() if begin is not None else nullcontext()


def reader(store: GraphStore, threads: int = 0) -> AbstractContextManager[GraphStore | None]:
    """Inside: a handle on ``store`` for reads from another thread while the caller's goes on (the embedded store:
    a second connection to the open database, :meth:`graph.embedded_store.EmbeddedStore.reader`), or None where
    there is none: inside an open transaction, whose writes another connection would not see, and on Neo4j (its
    callers run their work one part after the other). It reads what is committed; it refuses to write.

    ``threads``: how many of the engine's workers one statement of the handle may take (0: all). LadybugDB 0.22's
    workers (one a core) take a statement's tasks in turn, so a statement of one connection that takes them all
    holds up every statement another connection sends meanwhile until it ends: work beside the caller's that is
    not on its critical path (algorithms/warm_up.py) reads with one, leaving a worker to the caller's statements."""
    other = getattr(store, "reader", None)
    return other(threads) if other is not None else nullcontext(None)


def written_rels(store: GraphStore, rel_type: str, from_label: str, to_label: str) -> pa.Table | None:
    """The relationship rows of the type the store's open transaction wrote, the last values of each (the embedded
    store: :meth:`graph.embedded_store.EmbeddedStore.written_rels`, for reads LadybugDB 0.22 blinds inside the
    transaction, graph.embedded_tx_rels); None where none are kept (none written, a delete since, or Neo4j, whose
    reads see a transaction's own rows)."""
    kept = getattr(store, "written_rels", None)
    return kept(rel_type, from_label, to_label) if kept is not None else None


def read_on_two(store: GraphStore, other: GraphStore | None, reads: list[tuple[str, dict[str, Any]]]) -> list[Result]:
    """The result of each (statement name, parameters) of ``reads``, in that order, read through ``store`` and
    ``other`` (a :func:`reader` seeing the same committed rows, or None: all through ``store``) at once: ``other``
    in a thread of its own, each connection taking the next read as it finishes one, so the engine reads on two
    cores. The caller says the two hold the same rows (nothing written between them). Meanwhile ``store``'s
    statements take one of the engine's workers (:func:`workers`), leaving the other to ``other``'s (a reader made
    with ``threads=1``): with all of them, the engine ran each connection's statement in turn, not side by side
    (a day's keyed reads of 4,000 persons' purchases, two at once: 0.37-0.54 s wall against 0.62-0.74)."""
    done: list[Result | None] = [None] * len(reads)
    pending = iter(range(len(reads)))
    lock = threading.Lock()

    def work(handle: GraphStore) -> None:
        while True:
            with lock:
                index = next(pending, None)
            if index is None:
                return
            statement, params = reads[index]
            done[index] = handle.query(statement, params)

    if other is None or len(reads) < 2:
        work(store)
    else:
        with workers(store, 1), ThreadPoolExecutor(max_workers=1) as pool:
            helper = pool.submit(work, other)
            try:
                work(store)
            finally:
                helper.result()
    return [cast(Result, result) for result in done]


def workers(store: GraphStore, count: int) -> AbstractContextManager[None]:
    """Inside: at most ``count`` of the engine's workers run one statement of ``store``'s (the embedded store:
    :meth:`graph.embedded_store.EmbeddedStore.workers`); Neo4j's server decides: nothing to set."""
    limit = getattr(store, "workers", None)
    return limit(count) if limit is not None else nullcontext()


def confined(store: GraphStore, labels: tuple[str, ...]) -> AbstractContextManager[None]:
    """Inside, the caller's writes change nodes of ``labels`` only (and relationships): rows of other labels read
    before stay current (:class:`StoredRows`; the embedded store's :class:`graph.write_count.WriteCount`). Neo4j
    counts no writes: nothing to say."""
    written = getattr(store, "written", None)
    return written.confined(labels) if written is not None else nullcontext()


def rows_copied(store: GraphStore) -> AbstractContextManager[bool]:
    """Memory held by writes not yet in the store's file freed, and new rows written straight into it while
    inside (the embedded store: :meth:`graph.embedded_store.EmbeddedStore.rows_copied`); yields whether anything
    was freed. Neo4j manages its own memory: nothing to free, False."""
    free = getattr(store, "rows_copied", None)
    return free() if free is not None else nullcontext(False)


# --- shared helpers -------------------------------------------------------------------------------------------

def to_arrow(rows: Rows) -> pa.Table:
    if isinstance(rows, pa.Table):
        return rows
    if isinstance(rows, pd.DataFrame):
        return pa.Table.from_pandas(rows, preserve_index=False)
    if isinstance(rows, list):
        return pa.Table.from_pylist(rows)
    raise TypeError(f"rows must be an Arrow table, a DataFrame or a list of dicts, not {type(rows).__name__}")


def _cast(table: pa.Table, name: str, type_: PropertyType, owner: str) -> pa.Array | pa.ChunkedArray:
    column = table.column(name)
    target = ARROW_TYPES[type_]
    if column.type == target:
        return column
    if pa.types.is_null(column.type):
        return pa.nulls(len(column), target)
    try:
        if type_ == "STRING" and pa.types.is_dictionary(column.type):
            return column.cast(pa.string())
        if type_ == "DATE" and pa.types.is_timestamp(column.type):
            return column.cast(pa.date32())
        return column.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise InvalidInput(f"{owner}.{name}: cannot store {column.type} as {type_}") from exc


def conform_nodes(node: NodeLabel, rows: Rows) -> pa.Table:
    """Check columns against the schema, cast to declared types, require keys, fold duplicate keys."""
    table = to_arrow(rows)
    unknown = [c for c in table.column_names if c not in node.property_names]
    if unknown:
        raise InvalidInput(f"{node.name} has no properties {unknown}")
    if node.key not in table.column_names:
        raise InvalidInput(f"{node.name} rows need their key {node.key!r}")
    table = pa.table({c: _cast(table, c, node.prop(c).type, node.name) for c in table.column_names})
    if table.column(node.key).null_count:
        raise InvalidInput(f"{node.name}.{node.key} must not be null")
    return fold(table, [node.key])


def conform_relationships(rel: RelType, from_label: NodeLabel, to_label: NodeLabel, rows: Rows) -> pa.Table:
    if (from_label.name, to_label.name) not in rel.endpoints:
        raise InvalidInput(f"{rel.name} does not join {from_label.name} to {to_label.name}")
    table = to_arrow(rows)
    for needed in (FROM_KEY, TO_KEY, *rel.key):
        if needed not in table.column_names:
            raise InvalidInput(f"{rel.name} rows need {needed!r}")
    unknown = [c for c in table.column_names if c not in (FROM_KEY, TO_KEY) and c not in rel.property_names]
    if unknown:
        raise InvalidInput(f"{rel.name} has no properties {unknown}")
    columns: dict[str, Any] = {
        FROM_KEY: _cast(table, FROM_KEY, from_label.key_property.type, rel.name),
        TO_KEY: _cast(table, TO_KEY, to_label.key_property.type, rel.name),
    }
    for name in table.column_names:
        if name not in columns:
            columns[name] = _cast(table, name, rel.prop(name).type, rel.name)
    table = pa.table(columns)
    for needed in (FROM_KEY, TO_KEY, *rel.key):
        if table.column(needed).null_count:
            raise InvalidInput(f"{rel.name}.{needed} must not be null")
    return fold(table, [FROM_KEY, TO_KEY, *rel.key])


def fold(table: pa.Table, keys: list[str]) -> pa.Table:
    """One row per key; for each other column the last non-null value in batch order wins."""
    if table.num_rows == 0:
        return table
    distinct = table.select(keys).group_by(keys, use_threads=False).aggregate([])
    if distinct.num_rows == table.num_rows:
        return table
    others = [c for c in table.column_names if c not in keys]
    if not others:
        return table.group_by(keys, use_threads=False).aggregate([]).select(keys)
    grouped = table.group_by(keys, use_threads=False).aggregate([(c, "last") for c in others])
    return pa.table({c: grouped.column(c if c in keys else f"{c}_last") for c in table.column_names})


def anti_join(batch: pa.Table, existing: pa.Table, keys: list[str]) -> tuple[pa.Table, pa.Table]:
    """Split ``batch`` into rows whose keys are absent from / present in ``existing`` (each in ``batch``'s order)."""
    if existing.num_rows == 0:
        return batch, batch.slice(0, 0)
    if len(keys) == 1:  # a hash lookup: a national write back's 61k dealers split in ~3 ms, not two joins' ~15
        found = pc.is_in(batch.column(keys[0]), value_set=_key_values(existing, keys[0], batch), skip_nulls=True)
        return batch.filter(pc.invert(found)), batch.filter(found)
    existing = existing.select(keys).cast(batch.select(keys).schema)
    new = batch.join(existing, keys=keys, join_type="left anti", use_threads=False)
    old = batch.join(existing, keys=keys, join_type="left semi", use_threads=False)
    return new.select(batch.column_names), old.select(batch.column_names)


def _key_values(existing: pa.Table, key: str, like: pa.Table) -> pa.Array:
    return existing.column(key).cast(like.schema.field(key).type).combine_chunks()


def aligned(rows: pa.Table, existing: pa.Table, key: str, props: list[str]) -> pa.Table:
    """``existing``'s ``props`` for each row of ``rows``, by its single-column key (null where it has none): the
    stored values beside the rows to write, found by a hash lookup (a left join, without a join's reordering)."""
    at = pc.index_in(rows.column(key), value_set=_key_values(existing, key, rows), skip_nulls=True)
    return existing.select(props).take(at)


def changed_rows(old: pa.Table, existing: pa.Table, keys: list[str], props: list[str]) -> pa.Table:
    """Rows of ``old`` (already stored) where some property is non-null and differs from the stored value, with
    the keys and only the properties that differ somewhere (an update then writes just those columns).

    Only those need an update: re-running a load then costs a scan and a join, not a write per row."""
    if old.num_rows == 0 or not props:
        return old.slice(0, 0)
    if len(keys) == 1:
        joined, stored = old, aligned(old, existing, keys[0], props)
    else:
        stored = existing.select([*keys, *props]).rename_columns([*keys, *[f"{p}\x1fstored" for p in props]])
        stored = stored.cast(pa.schema([old.schema.field(k) for k in keys]
                                       + [pa.field(f"{p}\x1fstored", old.schema.field(p).type) for p in props]))
        joined = old.join(stored, keys=keys, join_type="left outer", use_threads=False)
        stored = joined.select([f"{p}\x1fstored" for p in props]).rename_columns(props)
    mask = None
    differing = []
    for prop in props:
        new_value, stored_value = joined.column(prop), stored.column(prop).cast(old.schema.field(prop).type)
        differs = pc.and_(pc.is_valid(new_value),
                          pc.or_kleene(pc.is_null(stored_value), pc.not_equal(new_value, stored_value)))
        differs = pc.fill_null(differs, True)
        if pc.any(differs).as_py():
            differing.append(prop)
            mask = differs if mask is None else pc.or_(mask, differs)
    if mask is None:
        return old.slice(0, 0)
    return joined.filter(mask).select([*keys, *differing])


# not content: no new version (``block_*``: Person's identity-resolution blocks, derived from its fields; computing
# them for a store written before them must not make every person a new version)
BOOKKEEPING = frozenset({"load_run_id", "analysis_run_id", DATE_ADDED, "block_dob", "block_street"})


def stamps_versions(node: NodeLabel, batch: pa.Table) -> bool:
    """Whether the store stamps ``date_added`` on this batch's nodes."""
    return DATE_ADDED in node.property_names and DATE_ADDED not in batch.column_names


def version_stamp() -> dt.datetime:
    """Now, UTC (naive, as both stores hold TIMESTAMP), to the millisecond: STIX and TAXII timestamps carry
    milliseconds, so a stamp compares exactly with the ``date_added`` a TAXII client was shown."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def content_props(props: list[str]) -> list[str]:
    return [p for p in props if p not in BOOKKEEPING]


def stamp_new(new: pa.Table, now: dt.datetime) -> pa.Table:
    return new.append_column(DATE_ADDED, pa.array([now] * new.num_rows, pa.timestamp("us")))


def stamp_changed(changed: pa.Table, old: pa.Table, existing: pa.Table, key: str, props: list[str],
                  now: dt.datetime) -> pa.Table:
    """``changed`` (rows to write) with ``date_added`` = ``now`` where a content property changed, else null (the
    store's ``coalesce`` keeps the stored stamp)."""
    content = changed_rows(old, existing, [key], content_props(props))
    hit = pc.is_in(changed.column(key), value_set=content.column(key)) if content.num_rows else \
        pa.array([False] * changed.num_rows)
    stamps = pc.if_else(hit, pa.scalar(now, pa.timestamp("us")), pa.scalar(None, pa.timestamp("us")))
    return changed.append_column(DATE_ADDED, stamps)


def empty_counts(schema: Schema = SCHEMA) -> dict[str, dict[str, int]]:
    return {"nodes": {n: 0 for n in schema.labels}, "relationships": {r: 0 for r in schema.rel_types}}


def in_key_order(table: pa.Table, keys: list[str] | None = None) -> pa.Table:
    """``table`` sorted by ``keys`` (default: every column, left to right; nulls last), in Arrow's byte order.

    Edge lists and node tables leave the store in this order, so what is built from them (igraph vertex ids, edge
    order, hence Leiden's communities and every tie broken by position) is the same on every backend: each engine
    hands out rows in its own storage order otherwise."""
    if table.num_rows < 2:
        return table
    columns = keys if keys is not None else table.column_names
    return table.take(pc.sort_indices(table, sort_keys=[(c, "ascending", "at_end") for c in columns]))


def created_rows(batch: pa.Table, created_from: pa.Array | None, created_to: pa.Array | None) -> pa.Array | None:
    """A relationship batch's rows at a node an upsert created just now (the ``created_from``/``created_to`` hints
    of :meth:`GraphStore.upsert_relationships`): mask of the rows whose source is in ``created_from`` or whose
    target is in ``created_to`` (None: no hint)."""
    mask = None
    for column, keys in ((FROM_KEY, created_from), (TO_KEY, created_to)):
        if keys is not None and len(keys):
            hit = pc.is_in(batch.column(column), value_set=pa.chunked_array([keys]).combine_chunks()
                           .cast(batch.schema.field(column).type))
            mask = hit if mask is None else pc.or_(mask, hit)
    return mask


_Companion = TypeVar("_Companion")


def companion(store: Any, name: str, make: Callable[[Path], _Companion]) -> _Companion | None:
    """The object a writable embedded store keeps beside it under ``name``, made by ``make(store.path)`` on first
    use (the side table's keeper, :mod:`graph.side_keeping`; the run records' recorder, :mod:`graph.run_keys`).
    None for a read-only store, which writes nothing."""
    if store.read_only:
        return None
    found = store.__dict__.get(name)
    if found is None:
        found = store.__dict__[name] = make(store.path)
    return cast(_Companion, found)
