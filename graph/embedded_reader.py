"""A second handle on an open embedded store, for reads from another thread (:meth:`graph.embedded_store.
EmbeddedStore.reader`): the same database, a connection of its own. LadybugDB runs one write transaction and any
number of reads at once, each read seeing what was committed when it began, and its statements run without
Python's lock, so an analysis's trace lane (:mod:`algorithms.trace_lane`) reads through one while the person lane
reads through the store's own connection. The handle writes nothing: a statement that would is refused before the
engine sees it (the side table, :mod:`graph.side_table`, follows the store's own writes only)."""

from __future__ import annotations

import copy
from typing import Any, TypeVar

from cypher.effects import refused_by_reader
from graph.write_count import WriteCount

_Store = TypeVar("_Store")

def reading_handle(store: _Store, connection: Any) -> _Store:
    """A copy of ``store`` that reads through ``connection``: opened for reading as far as the store's own
    bookkeeping goes (no side-table keeping, no commit noted), and closing it closes the connection only."""
    other = copy.copy(store)
    # its write count stays where the store's was: rows read through it are what was committed then, whatever the
    # store writes after (graph.store.StoredRows)
    count = WriteCount(store.__dict__["written"].count)
    other.__dict__.update(_conn=connection, _reading=True, read_only=True, written=count)
    other.__dict__.pop("_side_keeper", None)
    return other


def refuse_write(text: str) -> None:
    """Raise if ``text`` (a statement, comments stripped) would write: a reader's handle only reads."""
    if found := refused_by_reader(text):
        raise PermissionError(f"a reader's handle on the store does not write ({found} in a "
                              "statement sent through it)")
