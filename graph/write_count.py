"""What an embedded store has written since it was opened, as far as rows a caller read before can tell
(:class:`graph.store.StoredRows`): the statements that may have changed a row, counted, and for each node label
the count at the last statement that wrote it.

A statement is counted when its text names a keyword that may write, or ends a transaction without keeping it
(:func:`cypher.effects.may_write`; comments are not read, and a read naming such a word only costs a caller's rows,
never their correctness). It is
put down to a label when it runs inside :meth:`WriteCount.confined` — an upsert of nodes confines its own statements
to its label, an upsert of relationships to no label (relationship rows are not node rows), and a caller that knows
what its statements write may say so (the incremental write back's trace lane, :mod:`algorithms.trace_lane`).
Any other write, a rollback and a reopen may have changed anything."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import pyarrow as pa
import pyarrow.compute as pc

from cypher.effects import may_write
from graph.schema import NodeLabel
from graph.store import StoredRows


class WriteCount:
    """A store's write count (see the module docstring)."""

    def __init__(self, count: int = 0) -> None:
        self.count = count
        self._anything_at = 0  # the count at the last write not put down to labels
        self._label_at: dict[str, int] = {}
        self._labels: frozenset[str] | None = None  # inside confined(): what the statements write

    def statement(self, text: str) -> None:
        """Count ``text`` (comments stripped) if it may write."""
        if may_write(text):
            self.count += 1
            if self._labels is None:
                self._anything_at = self.count
            else:
                for label in self._labels:
                    self._label_at[label] = self.count

    def anything(self) -> None:
        """A change nothing can put down to labels (a rollback's reopen)."""
        self.count += 1
        self._anything_at = self.count

    @contextmanager
    def confined(self, labels: Iterable[str]) -> Iterator[None]:
        """Inside, the statements counted write the nodes of ``labels`` only (none: relationships only). An
        enclosing confinement's labels stay counted too."""
        outer = self._labels
        self._labels = frozenset(labels) | (outer or frozenset())
        try:
            yield
        finally:
            self._labels = outer

    def unchanged(self, label: str, since: int) -> bool:
        """Whether no statement counted after ``since`` (a count read before) may have written ``label``'s nodes."""
        return since <= self.count and self._anything_at <= since and self._label_at.get(label, 0) <= since


def stored_values(written: WriteCount, node: NodeLabel, batch: pa.Table, props: list[str],
                  stored: StoredRows | None) -> pa.Table | None:
    """What an upsert would read of the batch's stored rows (key and ``props`` of the keys that exist), from rows
    the caller read (``stored``) when nothing that may have written the label's nodes ran since and they cover the
    batch: its keys all asked, its properties all read. None otherwise."""
    if stored is None or not written.unchanged(node.name, stored.writes):
        return None
    table = stored.table
    if node.key not in table.column_names or not set(props) <= set(table.column_names):
        return None
    keys = batch.column(node.key)
    asked = stored.asked.cast(keys.type)
    if not pc.all(pc.is_in(keys, value_set=asked)).as_py():
        return None
    table = table.select([node.key, *props])
    return table.filter(pc.is_in(table.column(node.key).cast(keys.type), value_set=keys.combine_chunks()))
