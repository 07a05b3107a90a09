"""How the embedded store updates the relationships an upsert names (:meth:`graph.embedded_store.EmbeddedStore.
upsert_relationships`): new rows written, stored rows whose values changed deleted and written again with the
new values over the stored ones (nulls never erase). Functions of the store's statements, its writer of new rows
and the rows its open transaction wrote (:class:`RelWrites`), as :mod:`graph.embedded_rel_reads` is of its reads.

Why delete and write again rather than ``SET``: Kùzu 0.11.3 corrupted *other* properties of relationships whose
properties were changed with ``SET`` once the database checkpointed (seen: ``FLOW.year`` turned null for ~1% of
rows after ``SET e.analysis_run_id``; the merge semantics are guarded in ``tests/graph/test_embedded_store.py``).
Delete + re-create does not. In LadybugDB 0.22 ``SET`` also costs more: ~9 µs a row and property against ~16 µs a
row for this (a national batch changes four of the eight properties of its 38k corridor flows)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa

from graph.embedded_rel_reads import StoreReads, rel_pattern, stored_rels
from graph.embedded_tx_rels import TxRels
from graph.embedded_writes import (
    column,
    delete_at_end,
    delete_at_nodes,
    merged,
)
from graph.identifiers import quote
from graph.schema import NodeLabel, RelType
from graph.store import ARROW_TYPES, FROM_KEY, TO_KEY, Result, anti_join, changed_rows


@dataclass(frozen=True)
class RelWrites:
    """What the updates ask of the store: a statement's rows, the writer of new relationship rows (through the log
    or ``COPY``: ``copy(rel, from_label, to_label, rows)``) and the rows its open transaction wrote."""

    execute: Callable[..., Result]  # (text, params=None)
    copy: Callable[[RelType, str, str, pa.Table], None]
    tx_rels: TxRels


def update(writes: RelWrites, reads: StoreReads, rel: RelType, source: NodeLabel, target: NodeLabel,
           batch: pa.Table, identity: list[str], props: list[str]) -> tuple[int, int, int]:
    """The batch's rows written: new ones created, stored ones whose values changed replaced (:func:`replace`).
    Returns (new, already stored, changed) row counts."""
    existing, from_side = stored_rels(reads, rel, source, target, batch, identity, props)
    missed = writes.tx_rels.missed((rel.name, source.name, target.name), batch, existing, identity)
    if missed.num_rows:  # written earlier in this transaction, not seen by the read (graph.embedded_tx_rels)
        existing = pa.concat_tables([existing, missed])
    new, old = anti_join(batch, existing, identity)
    if new.num_rows:
        writes.copy(rel, source.name, target.name, new)
    changed = changed_rows(old, existing, identity, props)
    if changed.num_rows:
        with writes.tx_rels.replacing():
            if missed.num_rows:  # the replace's delete would not see them either: deleted bound at each end
                delete_missed(writes, rel, source, target, anti_join(changed.select(identity), missed, identity)[1])
            replace(writes, rel, source, target, changed, identity, existing, from_side)
    return new.num_rows, old.num_rows, changed.num_rows


def replace(writes: RelWrites, rel: RelType, source: NodeLabel, target: NodeLabel, changed: pa.Table,
            identity: list[str], stored_all: pa.Table, from_side: bool | None) -> None:
    """Update relationships by deleting and re-creating them with merged values: take the stored values of every
    property, let non-null new values win, delete, write back as new rows (``writes.copy``: through the log or
    ``COPY``, by row count). ``stored_all``, ``from_side``: what :func:`graph.embedded_rel_reads.stored_rels` read
    (without every property: read again by a join); rows read node by node are deleted one indexed statement per
    node (:func:`graph.embedded_writes.delete_at_nodes`), others by a join of the rows against the type."""
    where = " AND ".join(f"e.{quote(k)} = {column(k)}" for k in rel.key)
    pattern = f"LOAD FROM $batch MATCH {rel_pattern(rel, source, target)} {'WHERE ' + where if where else ''}"
    probe = changed.select(identity).rename_columns([column(c) for c in identity])
    others = [p.name for p in rel.properties if p.name not in rel.key]
    schema = pa.schema([changed.schema.field(FROM_KEY), changed.schema.field(TO_KEY)]
                       + [pa.field(p, ARROW_TYPES[rel.prop(p).type]) for p in [*rel.key, *others]])
    if set(schema.names) <= set(stored_all.column_names):
        stored = stored_all.select(schema.names).cast(schema)
    else:
        returns = [f"{column(FROM_KEY)} AS {FROM_KEY}", f"{column(TO_KEY)} AS {TO_KEY}"]
        returns += [f"e.{quote(p)} AS {quote(p)}" for p in [*rel.key, *others]]
        stored = writes.execute(f"{pattern} RETURN {', '.join(returns)}", {"batch": probe}).arrow().cast(schema)
    if from_side is not None:  # rows read node by node: one indexed statement a node
        text, by_node = delete_at_nodes(rel, source, target, changed.select(identity), from_side)
        for params in by_node:
            writes.execute(text, params)
    else:
        writes.execute(f"{pattern} DELETE e", {"batch": probe})
    writes.copy(rel, source.name, target.name, merged(stored, changed, identity, others))


def delete_missed(writes: RelWrites, rel: RelType, source: NodeLabel, target: NodeLabel, rows: pa.Table) -> None:
    """Delete relationships this transaction wrote that its reads missed, bound at each end in turn (which end's
    table crossed a node group's end is not known: :func:`graph.embedded_writes.delete_at_end`)."""
    batch = {"batch": rows.rename_columns([column(c) for c in rows.column_names])}
    for end in ("target", "source") if rows.num_rows else ():
        writes.execute(delete_at_end(rel, source, target, end), batch)
