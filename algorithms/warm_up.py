"""Paying the incremental analysis' first reads while the day's load runs (issue 21).

``tracegraph load day`` is a fresh process each day: its first analysis finds the engine's page cache cold, so its
reads of the stored scores, memberships, straw groups and corridor cells fault their pages in on the critical path.
The load runs on one core for a few seconds while the other is idle: :func:`during_load` reads those columns there,
on a reader made before the day's transaction (:func:`graph.store.reader`), in a thread of its own. Its results are
thrown away: it only brings pages into the cache, which every connection of the database shares, so nothing the
analysis computes can differ (the analysis reads what is committed after the load, as before). A statement that
fails only ends the warming; the load is never held up by more than the statement in flight when it ends.
Only the first day's load of an open store warms (a process that loads day after day, as the bench does, has the
pages cached from then on: warming again only costs CPU and cache; the store's :func:`graph.store.companion` marks it
warmed). When the analysis follows the load (``tracegraph load`` without ``--analyze none``), :func:`imports_ahead`
also imports its modules in a thread beside the load (igraph, scipy.stats, matplotlib through igraph's drawing: ~1 CPU s
that a fresh process otherwise paid between the load's commit and the analysis' first statement).
``TRACEGRAPH_WARM_UP=0`` turns both off, as ``TRACEGRAPH_DAYS_IN_LOG`` and ``TRACEGRAPH_SIDE_TABLE`` switch
the embedded store's other on-by-default behaviours (:func:`graph.embedded_writes.switched_on`).
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from graph.embedded_writes import switched_on
from graph.errors import TracegraphError
from graph.store import GraphStore, companion, reader

#: the module the incremental analysis and its alerts run from (it imports the rest)
ANALYSIS = "algorithms.alerts"
#: the reads warmed, in this order (the person lane's first: it is the analysis' critical path)
STATEMENTS = ("warm_person_scores", "warm_memberships", "warm_straw_groups", "warm_corridor_cells")


ENV = "TRACEGRAPH_WARM_UP"


def enabled() -> bool:
    return switched_on(ENV)


class _Warmth:
    """Whether a store was warmed in this process (one per open store: :func:`graph.store.companion`)."""

    def __init__(self, _store: Path) -> None:
        self.done = False


@contextmanager
def during_load(store: GraphStore) -> Iterator[threading.Thread | None]:
    """Enter before the day's transaction: the warming runs beside what the block does and is stopped (after the
    statement in flight) when it ends. Yields the thread (None: no reader, turned off, or warmed before)."""
    if not enabled():
        yield None
        return
    with reader(store, threads=1) as other:  # (one worker: the load's statements keep the other)
        warmth = companion(store, "_warm_up", _Warmth) if other is not None else None
        if other is None or warmth is None or warmth.done:
            yield None
            return
        stop = threading.Event()

        def warm() -> None:
            for statement in STATEMENTS:
                if stop.is_set():
                    return
                try:
                    other.query(statement).arrow()
                except TracegraphError:  # (a store without a table yet): nothing to warm
                    continue

        thread = threading.Thread(target=warm, name="warm-up", daemon=True)
        warmth.done = True
        thread.start()
        try:
            yield thread
        finally:
            stop.set()
            thread.join()


@contextmanager
def imports_ahead(wanted: bool) -> Iterator[threading.Thread | None]:
    """The analysis' modules imported in a thread while the block runs (``wanted``: the analysis follows), joined
    when it ends, so that nothing imports behind the caller's back afterwards. A failed import is left for the
    analysis' own import to raise, where it would have. Yields the thread (None: not wanted, turned off, or the
    modules are imported already)."""
    if not wanted or not enabled() or ANALYSIS in sys.modules:
        yield None
        return

    def load() -> None:
        try:
            importlib.import_module(ANALYSIS)
        except ImportError:  # (raised again, and reported, by the analysis' own import)
            return

    thread = threading.Thread(target=load, name="imports-ahead", daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        thread.join()
