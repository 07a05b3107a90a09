"""The relationship rows a store's open transaction wrote, kept for the transaction's own upserts.

LadybugDB 0.22, inside a write transaction, misses relationships the same transaction wrote at nodes it added to a
node group's end past the group's first 2,048 new rows, when its new rows run past the group's end (node groups of
131,072 rows): ``LOAD FROM $batch MATCH (a {key})-[e]->(b {key})`` (the upsert's existence read), OPTIONAL MATCH,
``EXISTS`` and even a whole-type ``MATCH (a)-[e]->(b)`` miss them, and so does a ``DELETE`` through those patterns;
after the commit every form sees them (docs/performance.md, txreads23; ``tests/graph/test_engine_tx_reads.py``
pins the engine's behaviour). A day's files load in one transaction (``tracegraph load day``), so a relationship
a later file repeats (the same purchase in the traces and the multiple-sale file, two files of one kind) was
written twice. The store keeps what it wrote in the transaction (bounded by the transaction's own rows) and adds
those the read missed to what it found."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from cypher import registry
from cypher.effects import effect, without_comments
from graph.store import FROM_KEY, TO_KEY, anti_join

#: The corrections' drop statements (loaders/corrections.py): the relationships each deletes, named by its ``$rows``
#: (kind, the columns giving from_key, to_key and the type's key). Such a delete takes the rows it names out of what
#: is kept instead of dropping everything kept: a later file of the day repeating the other rows would otherwise be
#: read by the engine alone, which misses them (tests/graph/test_tx_corrections.py). A conditional drop
#: (``sale_drop_sold``: a sale still stated stays) takes out the rows it names whether or not it deleted them.
DROPS: dict[str, tuple[tuple[str, str, str], tuple[str, ...]]] = {
    "trace_drop_purchases": (("PURCHASED", "Person", "Firearm"), ("person", "firearm", "sale_id")),
    "trace_drop_recovered_in": (("RECOVERED_IN", "Firearm", "Recovery"), ("firearm", "trace_id")),
    "trace_drop_possessors": (("POSSESSED_BY", "Recovery", "Person"), ("trace_id", "person")),
    "trace_drop_places": (("AT", "Recovery", "Location"), ("trace_id", "location")),
    "sale_drop_sold": (("SOLD", "Dealer", "Firearm"), ("dealer", "firearm")),
    "nibin_drop_links": (("NIBIN_LINK", "Recovery", "Recovery"), ("from_key", "to_key", "lead_id")),
    "theft_drop_guns": (("REPORTED_STOLEN", "Firearm", "TheftReport"), ("firearm", "report_id")),
    "theft_drop_reporters": (("REPORTED", "Dealer", "TheftReport"), ("dealer", "report_id")),
}
#: the suffixes of the drops' twins bound at their other end (loaders/corrections.TWINS)
TWIN_SUFFIXES = ("_at_person", "_at_gun", "_at_to", "_at_report", "_at_recovery")


@functools.cache
def _drops_by_text() -> dict[str, tuple[tuple[str, str, str], tuple[str, ...]]]:
    """DROPS (and their twins, ``<name><suffix>``) by statement text as the store runs it, comments stripped."""
    statements = registry()
    names = set(statements.names())
    found = {}
    for name, drop in DROPS.items():
        for variant in (name, *(name + suffix for suffix in TWIN_SUFFIXES)):
            if variant in names:
                found[_plain(without_comments(statements.get(variant, "embedded")))] = drop
    return found


def _plain(text: str) -> str:
    return " ".join(text.split())


class TxRels:
    """Relationship rows written in the open transaction, per (type, from label, to label)."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str, str], list[pa.Table]] = {}
        self._replacing = False

    def statement(self, text: str, params: dict[str, Any] | None = None) -> None:
        """A statement (comments stripped) is run: one that deletes, other than an upsert's own replace, may delete
        rows kept here: a drop of :data:`DROPS` takes out the rows it names, any other leaves nothing kept from then
        on (the reads are then as the engine gives them)."""
        if not self._rows or self._replacing or effect(text) != "delete":
            return
        drop = _drops_by_text().get(_plain(text))
        if drop is None or params is None or not isinstance(params.get("rows"), list):
            self._rows.clear()
            return
        kind, columns = drop
        if kind in self._rows and params["rows"]:
            named = pa.Table.from_pylist([{c: row.get(c) for c in columns} for row in params["rows"]])
            identity = [FROM_KEY, TO_KEY, *columns[2:]]
            named = named.rename_columns(identity)
            kept = pa.concat_tables(self._rows[kind], promote_options="permissive")
            self._rows[kind] = [anti_join(kept, named, identity)[0]]

    @contextmanager
    def replacing(self) -> Iterator[None]:
        """Inside: an upsert deletes rows it writes again (each noted again as written)."""
        self._replacing = True
        try:
            yield
        finally:
            self._replacing = False

    def clear(self) -> None:
        """The transaction ended (commit or rollback): its rows are what every read sees from now on (or gone)."""
        self._rows.clear()

    def note(self, kind: tuple[str, str, str], rows: pa.Table) -> None:
        """``rows`` (``from_key``, ``to_key``, properties written) were just written."""
        self._rows.setdefault(kind, []).append(rows)

    def written(self, kind: tuple[str, str, str], identity: list[str]) -> pa.Table | None:
        """The rows of ``kind`` written in the open transaction, the last values of each identity (the columns any
        write named; null where a write did not name one); None: none kept (none written, or a delete since)."""
        parts = self._rows.get(kind)
        if not parts:
            return None
        return _last(pa.concat_tables(parts, promote_options="permissive"), identity)

    def missed(self, kind: tuple[str, str, str], batch: pa.Table, existing: pa.Table,
               identity: list[str]) -> pa.Table:
        """The rows of ``batch``'s identities this transaction wrote that ``existing`` (what the store's read found)
        lacks, in ``existing``'s columns (the last values written for each; a property never written null)."""
        parts = self._rows.get(kind)
        if not parts or not set(identity) <= set(existing.column_names):
            return existing.slice(0, 0)
        schema = existing.schema
        aligned = []
        for part in parts:
            columns = {f.name: (part.column(f.name).cast(f.type) if f.name in part.column_names
                                else pa.nulls(part.num_rows, f.type)) for f in schema}
            aligned.append(pa.table(columns, schema=schema))
        written = pa.concat_tables(aligned)
        wanted = anti_join(written, batch.select(identity), identity)[1]
        lost = anti_join(wanted, existing, identity)[0]
        if lost.num_rows == 0:
            return lost
        return _last(lost, identity)


def _last(rows: pa.Table, identity: list[str]) -> pa.Table:
    """The last row of each identity in ``rows``, in the order of those rows."""
    order = pa.array(range(rows.num_rows), pa.int64())
    last = rows.append_column("\x1forder", order).group_by(identity, use_threads=False).aggregate(
        [("\x1forder", "max")])
    at = last.column("\x1forder_max")
    return rows.take(pc.take(at, pc.sort_indices(at)))
