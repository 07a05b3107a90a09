"""The stored relationships an upsert of relationships compares its rows with (:meth:`graph.embedded_store.
EmbeddedStore.upsert_relationships` and its replace of changed rows): read whole, one indexed statement per node,
or by a join of the batch against the type, whichever the counts say is cheaper. Functions of the store's
statements and counts (:class:`StoreReads`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from graph.embedded_reads import at_nodes, binds_sources
from graph.embedded_writes import column as _col
from graph.identifiers import quote
from graph.schema import NodeLabel, RelType
from graph.store import ARROW_TYPES, FROM_KEY, TO_KEY, Result, anti_join

# A hash-join probe handles roughly 50k relationship batch rows per second; a full scan of a table reads a few million
# rows per second. Scan instead of probing when the type is this many times larger than the batch or less.
SCAN_RATIO = 50
# A relationship lookup keyed by both endpoints (``LOAD FROM $batch MATCH (a {key})-[e]->(b {key})``) is planned as a
# hash join whose build side scans an endpoint table and every relationship of the type: ~1.5 CPU s per statement
# at the national world's 1.35M PURCHASED, for 20 batch rows as for 3,000. One statement per endpoint node (an
# index lookup and that node's own relationships) costs ~0.1 ms. So when the relationships of the type outnumber
# the nodes a batch names (on its side with the lower degree) this many times, the store asks node by node.
PER_NODE_RATIO = 200
#: keys bound per node-by-node statement (``UNWIND $keys``)
KEYS_PER_STATEMENT = 20_000


@dataclass(frozen=True)
class StoreReads:
    """What the reads ask of the store: a statement's rows, a relationship count (``at_most``: a bound the count may
    stop at), a label's node count."""

    execute: Callable[..., Result]  # (text, params=None)
    count_rel: Callable[[str, str, str, int | None], int]
    count_label: Callable[[str], int]


def rel_pattern(rel: RelType, source: NodeLabel, target: NodeLabel) -> str:
    """``(a)-[e]->(b)`` with both endpoints bound by key to the batch's ``from_key`` / ``to_key`` columns."""
    return (f"(a:{quote(source.name)} {{{quote(source.key)}: {_col(FROM_KEY)}}})"
            f"-[e:{quote(rel.name)}]->"
            f"(b:{quote(target.name)} {{{quote(target.key)}: {_col(TO_KEY)}}})")


def stored_rels(reads: StoreReads, rel: RelType, source: NodeLabel, target: NodeLabel, batch: pa.Table,
                identity: list[str], props: list[str]) -> tuple[pa.Table, bool | None]:
    """The batch's stored relationships and how to delete them (the store's replace of changed rows). A type at most
    ``SCAN_RATIO`` times the batch is read whole (a national batch's 38k corridor flows, of 38k: 28k read and
    deleted node by node 0.48 CPU s, whole and by a join 0.31); a larger one node by node or by a join."""
    if batch.num_rows == 0:
        return batch.slice(0, 0), None
    # (a type with several endpoint pairs is not counted: read node by node or by a join)
    total = None if len(rel.endpoints) > 1 else reads.count_rel(rel.name, source.name, target.name, None)
    if total is None or total > batch.num_rows * SCAN_RATIO:
        at_nodes = rels_at_nodes(reads, rel, source, target, batch, identity, total)
        if at_nodes is not None:
            return at_nodes
        return existing_rels(reads, rel, source, target, batch, identity, props, total), None
    returns = [f"a.{quote(source.key)} AS {FROM_KEY}", f"b.{quote(target.key)} AS {TO_KEY}"]
    returns += [f"e.{quote(p.name)} AS {quote(p.name)}" for p in rel.properties]
    stored = reads.execute(f"MATCH (a:{quote(source.name)})-[e:{quote(rel.name)}]->(b:{quote(target.name)}) "
                           f"RETURN {', '.join(returns)}").arrow()
    if stored.num_rows == 0:
        return batch.slice(0, 0).select(identity), None
    keys = batch.select(identity)
    stored = stored.cast(pa.schema([keys.schema.field(FROM_KEY), keys.schema.field(TO_KEY)]
                                   + [pa.field(p.name, ARROW_TYPES[p.type]) for p in rel.properties]))
    return stored.join(keys, keys=identity, join_type="left semi", use_threads=False), None


def rels_at_nodes(reads: StoreReads, rel: RelType, source: NodeLabel, target: NodeLabel, batch: pa.Table,
                  identity: list[str], total: int | None) -> tuple[pa.Table, bool] | None:
    """The stored relationships of the batch (identity and every property), read one indexed statement per
    node the batch names on the side where nodes have fewer such relationships (:mod:`graph.embedded_reads`); None
    when the batch names too many nodes for that to beat a join (``PER_NODE_RATIO``). With them: whether
    the nodes read were the sources."""
    from_side = binds_sources(rel, source, target, reads.count_label)
    column = FROM_KEY if from_side else TO_KEY
    nodes = pc.unique(batch.column(column).combine_chunks()).drop_null()
    if total is None:
        total = reads.count_rel(rel.name, source.name, target.name, len(nodes) * PER_NODE_RATIO)
    if total == 0:
        return batch.slice(0, 0).select(identity), True
    if len(nodes) * PER_NODE_RATIO > total:
        return None
    others = [p.name for p in rel.properties if p.name not in rel.key]
    text = at_nodes(rel, source, target, from_side, [*rel.key, *others])
    schema = pa.schema([batch.schema.field(FROM_KEY), batch.schema.field(TO_KEY)]
                       + [pa.field(p, ARROW_TYPES[rel.prop(p).type]) for p in [*rel.key, *others]])
    keys = nodes.to_pylist()
    found = [reads.execute(text, {"keys": keys[i:i + KEYS_PER_STATEMENT]}).arrow()
             for i in range(0, len(keys), KEYS_PER_STATEMENT)]
    stored = pa.concat_tables([t.cast(schema) for t in found if t.num_rows]) if any(
        t.num_rows for t in found) else schema.empty_table()
    return stored.join(batch.select(identity), keys=identity, join_type="left semi", use_threads=False), from_side


def existing_rels(reads: StoreReads, rel: RelType, source: NodeLabel, target: NodeLabel, batch: pa.Table,
                  identity: list[str], props: list[str], total: int | None) -> pa.Table:
    """Identity and current values of ``props`` for the batch's relationships that exist (two passes, as
    for nodes)."""
    total = reads.count_rel(rel.name, source.name, target.name, None) if total is None else total
    if total == 0:
        return batch.slice(0, 0)
    ident = [f"a.{quote(source.key)} AS {FROM_KEY}", f"b.{quote(target.key)} AS {TO_KEY}"]
    ident += [f"e.{quote(k)} AS {quote(k)}" for k in rel.key]
    scan = (f"MATCH (a:{quote(source.name)})-[e:{quote(rel.name)}]->(b:{quote(target.name)}) RETURN ")
    where = " AND ".join(f"e.{quote(k)} = {_col(k)}" for k in rel.key)
    join = (f"LOAD FROM $batch MATCH {rel_pattern(rel, source, target)} "
            f"{'WHERE ' + where if where else ''} RETURN ")
    if total <= batch.num_rows * SCAN_RATIO:
        keys = reads.execute(scan + ", ".join(ident)).arrow()
    else:
        probe = batch.select(identity).rename_columns([_col(c) for c in identity])
        keys = reads.execute(join + ", ".join(ident), {"batch": probe}).arrow()
    matched = anti_join(batch.select(identity), keys, identity)[1]
    if matched.num_rows == 0 or not props:
        return matched
    returns = ", ".join([*ident, *[f"e.{quote(p)} AS {quote(p)}" for p in props]])
    if total <= matched.num_rows * SCAN_RATIO:
        return reads.execute(scan + returns).arrow()
    probe = matched.rename_columns([_col(c) for c in identity])
    return reads.execute(join + returns, {"batch": probe}).arrow()
