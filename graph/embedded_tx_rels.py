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

from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa
import pyarrow.compute as pc

from cypher.effects import effect
from graph.store import anti_join


class TxRels:
    """Relationship rows written in the open transaction, per (type, from label, to label)."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str, str], list[pa.Table]] = {}
        self._replacing = False

    def statement(self, text: str) -> None:
        """A statement (comments stripped) is run: one that deletes, other than an upsert's own replace, may delete
        rows kept here, so nothing is kept from then on (the reads are then as the engine gives them)."""
        if self._rows and not self._replacing and effect(text) == "delete":
            self._rows.clear()

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
