"""How the embedded store writes new rows, and when its file is checkpointed.

LadybugDB 0.22.0 writes a ``COPY``'s rows as pages of the file, not as records of its write-ahead log, so it
forces a checkpoint at the commit of any transaction that ran one: at national scale ~7 CPU s in a day's load
commit and ~4 in the write back's, whatever the day's size (docs/performance.md, "The load's own cost and the
commit's checkpoint"). ``CREATE`` (and ``SET``, ``DELETE``) go to the log: the commit is a log write, a process
killed right after it keeps the rows (the next open replays the log), and the checkpoint can wait.

So (unless :data:`DAYS_IN_LOG_ENV` switches it off; a torn log is cut back to its last commit by
:mod:`graph.embedded_log`), new rows are written by row count (:func:`through_log`):

- a batch under :data:`WAL_ROWS` rows (a day's batch, the analyses' write backs) goes through the log:
  ``LOAD FROM $batch CREATE (n:Label {…})`` for nodes, ``LOAD FROM $batch MATCH (a {key}) MATCH (b {key})
  CREATE (a)-[e:TYPE {…}]->(b)`` for relationships;
- a larger one (a history load's batches of 250k rows) is ``COPY``'d, and its commit checkpoints as before.

Both statements are built here from the one schema definition. Either way a commit is durable; the choice is
only what costs less (measured in docs/performance.md, "Days through the write-ahead log").

A store opened for writing does not checkpoint when it is closed
(``force_checkpoint_on_close=false``) and checkpoints by itself only when the log passes
:data:`CHECKPOINT_THRESHOLD_BYTES` (the engine's automatic checkpoint, kept on as the ceiling). The checkpoint is
taken where nobody waits: at the end of a full ``tracegraph analyze`` and by ``tracegraph store checkpoint`` (a
nightly timer).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from graph.identifiers import key_param, quote
from graph.schema import NodeLabel, RelType
from graph.store import FROM_KEY, TO_KEY, aligned

#: Below this many rows a statement's new rows go through the write-ahead log, at or above it they are
#: ``COPY``'d. On a 500k-row table (bench/bench_checkpoint.py's store) ``CREATE`` costs about what ``COPY`` costs
#: up to ~20k rows and 2-3x as much from 100k, and writes ~340 bytes of log a row (34 MB for 100k nodes and 100k
#: relationships), which every later open replays until the next checkpoint.
WAL_ROWS = 50_000
#: The engine checkpoints by itself when the log passes this size: a national day writes ~60 MB of log, so
#: about four days wait for the weekly run or the nightly timer, and the log (and the replay at every open)
#: stays bounded.
CHECKPOINT_THRESHOLD_BYTES = 256 * 1024 * 1024


#: The switch: days through the log are **on by default**; ``TRACEGRAPH_DAYS_IN_LOG=0`` turns them off (every
#: commit then checkpoints, ~11 CPU s a national day). A write that fails halfway (a full disk, a killed process)
#: leaves a torn record at the log's end, which LadybugDB 0.22 refuses to replay, the whole log with it
#: (tests/loaders/test_disk_full.py found it): :mod:`graph.embedded_log` keeps the log's size at every commit and
#: cuts a torn log back to it when the engine refuses it, so every commit is kept.
DAYS_IN_LOG_ENV = "TRACEGRAPH_DAYS_IN_LOG"


def days_in_log() -> bool:
    """Whether new rows may go through the write-ahead log and commits may leave the checkpoint for later (on
    unless :data:`DAYS_IN_LOG_ENV` says ``0``/``false``/``no``/``off``)."""
    return switched_on(DAYS_IN_LOG_ENV)


def switched_on(variable: str) -> bool:
    """An embedded store's on-by-default switch: on unless the environment ``variable`` says
    ``0``/``false``/``no``/``off`` (``TRACEGRAPH_DAYS_IN_LOG``, ``TRACEGRAPH_SIDE_TABLE``)."""
    return os.environ.get(variable, "1").strip().lower() not in ("0", "false", "no", "off")


def wal_path(store: Path) -> Path:
    """The engine's write-ahead log beside a store file (``NAME.wal``): commits not yet checkpointed."""
    return store.with_name(store.name + ".wal")


def copy_store_files(source: Path, target: Path) -> Path:
    """Copy a closed store to ``target``: the file (a directory for an older store) and, when there is one, its
    write-ahead log, where commits wait for a checkpoint. Returns ``target``."""
    (shutil.copytree if source.is_dir() else shutil.copyfile)(source, target)
    if wal_path(source).exists():
        shutil.copyfile(wal_path(source), wal_path(target))
    return target


def through_log(rows: int, *, allowed: bool = True) -> bool:
    """Whether ``rows`` new rows are written through the write-ahead log (else ``COPY``'d); ``allowed`` is the
    store's own say (``EmbeddedStore.log_writes``: off for an analysis retried after its page cache filled)."""
    return allowed and days_in_log() and rows < WAL_ROWS


def column(name: str) -> str:
    """Column variable for a batch column inside ``LOAD FROM`` (prefixed so it never shadows a pattern var)."""
    return f"_c_{name}"


def create_nodes(node: NodeLabel, columns: list[str]) -> str:
    """New nodes through the log; the batch's columns are named by :func:`column`."""
    values = ", ".join(f"{quote(c)}: {column(c)}" for c in columns)
    return f"LOAD FROM $batch CREATE (n:{quote(node.name)} {{{values}}}) RETURN count(n)"


def create_relationships(rel: RelType, source: NodeLabel, target: NodeLabel, props: list[str]) -> str:
    """New relationships through the log, both endpoints found by key; returns how many were created (fewer
    than the batch's rows when an endpoint does not exist: the caller refuses the batch, as ``COPY`` does)."""
    values = ", ".join(f"{quote(p)}: {column(p)}" for p in props)
    return (f"LOAD FROM $batch MATCH (a:{quote(source.name)} {{{quote(source.key)}: {column(FROM_KEY)}}}) "
            f"MATCH (b:{quote(target.name)} {{{quote(target.key)}: {column(TO_KEY)}}}) "
            f"CREATE (a)-[e:{quote(rel.name)}{f' {{{values}}}' if values else ''}]->(b) RETURN count(e)")


#: At most this many ``SET`` statements an update: the most common sets of changed properties get one each, the
#: rows with the rarer ones share the last, which names every property any of them changes.
SET_GROUPS = 8


def set_groups(changed: pa.Table, existing: pa.Table, key: str) -> list[pa.Table]:
    """``changed`` (rows to update: key and new values, null where the stored value stays) split by which
    properties a row really changes, each part with only those columns. A ``SET`` writes one log record per row
    and property it names, even when it writes the stored value back: a national batch rescores 61k dealers, and
    naming all eight properties for each logged 37 MB where two of them change for most. ``existing``: the stored
    key and values (a property it lacks, e.g. the version stamp, is written wherever it is not null)."""
    props = [c for c in changed.column_names if c != key]
    if len(props) > 62:
        return [changed]
    stored_props = [p for p in props if p in existing.column_names]
    stored = aligned(changed, existing, key, stored_props)  # the stored values beside each row
    code = pa.array([0] * changed.num_rows, pa.int64())
    for bit, prop in enumerate(props):
        write = pc.is_valid(changed.column(prop))
        if prop in stored_props:
            before = stored.column(prop).cast(changed.schema.field(prop).type)
            write = pc.and_(write, pc.fill_null(pc.or_kleene(pc.is_null(before),
                                                             pc.not_equal(changed.column(prop), before)), True))
        code = pc.add(code, pc.multiply(pc.cast(write, pa.int64()), 1 << bit))
    counted = pc.value_counts(code)
    by_size = sorted(zip(counted.field("counts").to_pylist(), counted.field("values").to_pylist(), strict=True),
                     reverse=True)
    codes = [c for _, c in by_size if c]
    groups = [[c] for c in codes[:SET_GROUPS - 1]]
    if codes[SET_GROUPS - 1:]:  # the rarest sets of changed properties: one statement naming them all
        groups.append(codes[SET_GROUPS - 1:])
    parts = []
    for group in groups:
        union = 0
        for c in group:
            union |= c
        rows = changed.filter(pc.is_in(code, value_set=pa.array(group, pa.int64())))
        parts.append(rows.select([key, *[p for bit, p in enumerate(props) if union >> bit & 1]]))
    return parts


def set_nodes(node: NodeLabel, part: pa.Table) -> str:
    """The ``SET`` of one part of :func:`set_groups` (key and the properties it names, as ``_c_`` columns in
    ``$batch``): a property with a value in every row is written as it is, one with a null somewhere (a row that
    keeps its stored value: the last, merged part's rarer sets, or an upsert's null) as ``coalesce(new, stored)``.
    Every part but that last holds a value for each property it names, and the ``coalesce`` cost ~40 % more than
    the plain ``SET`` (a national day's 61k dealers, six properties: 1.2 against 0.85 s)."""
    sets = ", ".join(f"n.{quote(p)} = {column(p)}" if part.column(p).null_count == 0
                     else f"n.{quote(p)} = coalesce({column(p)}, n.{quote(p)})"
                     for p in part.column_names if p != node.key)
    return f"LOAD FROM $batch MATCH (n:{quote(node.name)} {{{quote(node.key)}: {column(node.key)}}}) SET {sets}"


def delete_at_nodes(rel: RelType, source: NodeLabel, target: NodeLabel, rows: pa.Table,
                    from_side: bool) -> tuple[str, list[dict[str, Any]]]:
    """The statement deleting the relationships ``rows`` identify (from_key, to_key, the type's key properties)
    and its parameters, one per node on the bound side: its start node found by key and its relationships
    filtered against that node's rows. One statement per row cost ~0.5 ms each (10k FLOW rows of a national
    daily batch: 4.7 CPU s); a join of the rows against the type scans every relationship of it."""
    column, other_column = (FROM_KEY, TO_KEY) if from_side else (TO_KEY, FROM_KEY)
    bound_label, other_label = (source, target) if from_side else (target, source)
    bound = f"(n:{quote(bound_label.name)} {{{quote(bound_label.key)}: $key}})"
    other = f"(o:{quote(other_label.name)})"
    pattern = f"{bound}-[e:{quote(rel.name)}]->{other}" if from_side else f"{other}-[e:{quote(rel.name)}]->{bound}"
    where = " AND ".join([f"o.{quote(other_label.key)} = r.other",
                          *(f"e.{quote(k)} = r.{key_param(k)}" for k in rel.key)])
    text = f"MATCH {pattern} UNWIND $rows AS r WITH e, o, r WHERE {where} DELETE e"
    by_node: dict[Any, list[dict[str, Any]]] = {}
    seen: set[tuple[Any, ...]] = set()
    for row in rows.to_pylist():
        ident = tuple(row[c] for c in (column, other_column, *rel.key))
        if ident in seen:
            continue
        seen.add(ident)
        by_node.setdefault(row[column], []).append(
            {"other": row[other_column], **{key_param(k): row[k] for k in rel.key}})
    return text, [{"key": key, "rows": node_rows} for key, node_rows in by_node.items()]


def delete_at_end(rel: RelType, source: NodeLabel, target: NodeLabel, end: str) -> str:
    """The statement deleting the relationships ``$batch`` identifies (its from_key, to_key and key properties as
    ``_c_`` columns) through a pattern bound by key at one ``end`` only (``target`` or ``source``): inside a
    transaction, LadybugDB 0.22 deletes that way the relationships it wrote at nodes of that end's table past a node
    group's first 2,048 new rows, which a pattern bound at both ends (read as bound at the source) or at the other
    end misses (graph.embedded_tx_rels, tests/graph/test_engine_tx_reads.py)."""
    at, other = (target, source) if end == "target" else (source, target)
    at_key, other_key = (TO_KEY, FROM_KEY) if end == "target" else (FROM_KEY, TO_KEY)
    where = " AND ".join([f"o.{quote(other.key)} = {column(other_key)}"] + [f"e.{quote(k)} = {column(k)}"
                                                                           for k in rel.key])
    arrow = ("<-", "-") if end == "target" else ("-", "->")
    return (f"LOAD FROM $batch MATCH (n:{quote(at.name)} {{{quote(at.key)}: {column(at_key)}}})"
            f"{arrow[0]}[e:{quote(rel.name)}]{arrow[1]}(o:{quote(other.name)}) WHERE {where} DELETE e")


def merged(stored: pa.Table, rows: pa.Table, identity: list[str], others: list[str]) -> pa.Table:
    """``stored`` relationships (identity and every property in ``others``) with ``rows``' values over them where
    those are not null (nulls never erase): the rows to write back in their place, one per stored row ``rows``
    names."""
    joined = stored.join(rows, keys=identity, join_type="inner", right_suffix="\x1fnew", use_threads=False)
    columns = {c: joined.column(c) for c in identity}
    for name in others:
        newer = f"{name}\x1fnew"
        columns[name] = (pc.coalesce(joined.column(newer), joined.column(name)) if newer in joined.column_names
                         else joined.column(name))
    return pa.table(columns)
