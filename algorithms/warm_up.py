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
also imports its modules in a thread beside the load (igraph, scipy.special and scipy.optimize, pandas' and
pyarrow's parts the load has not imported: ~0.5 CPU s that a fresh process otherwise paid between the load's commit
and the analysis' first statement), without matplotlib (:data:`UNUSED`).
``TRACEGRAPH_WARM_UP=0`` turns both off, as ``TRACEGRAPH_DAYS_IN_LOG`` and ``TRACEGRAPH_SIDE_TABLE`` switch
the embedded store's other on-by-default behaviours (:func:`graph.embedded_writes.switched_on`).
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from graph.embedded_writes import switched_on
from graph.errors import TracegraphError
from graph.store import GraphStore, Result, companion, reader

#: the module the incremental analysis and its alerts run from (it imports the rest)
ANALYSIS = "algorithms.alerts"
#: modules the analysis never uses that its imports would import where installed: igraph's drawing imports
#: matplotlib.pyplot whenever matplotlib is (0.3-0.4 CPU s; the project's bench and dev extras install it), and
#: nothing of the analysis draws
UNUSED = ("matplotlib",)
#: the reads warmed, in this order (the person lane's first: it is the analysis' critical path)
STATEMENTS = ("warm_person_scores", "warm_memberships", "warm_straw_groups", "warm_corridor_cells")
#: reads whose rows are kept for the analysis that follows the load (:func:`kept`), instead of the warming read of
#: the same pages, with the label whose writes make them stale: no load writes these nodes (an analysis does)
KEPT = {"warm_corridor_cells": ("corridor_cells_all", "CorridorCell")}


ENV = "TRACEGRAPH_WARM_UP"


def enabled() -> bool:
    return switched_on(ENV)


class _Warmth:
    """Whether a store was warmed in this process (one per open store: :func:`graph.store.companion`)."""

    def __init__(self, _store: Path) -> None:
        self.done = False
        # statement -> (the store's write count before it was read, its rows): see kept()
        self.kept: dict[str, tuple[int, Result]] = {}


@contextmanager
def during_load(store: GraphStore, *, keep: bool = False,
                around: AbstractContextManager[object] | None = None) -> Iterator[threading.Thread | None]:
    """Enter before the day's transaction: the warming runs beside what the block does and is stopped (after the
    statement in flight) when it ends. Yields the thread (None: no reader, turned off, or warmed before).
    ``keep`` (the analysis follows the load): the reads of :data:`KEPT` are made whole and their rows kept for it
    (:func:`kept`) instead of warming their pages only. ``around``: the day's transaction (``graph.store.one_unit``),
    entered once the warming runs. A block that fails stops the warming before the transaction's rollback, which
    reopens the store and so closes the database the warming's reader reads from; one that succeeds commits
    beside the warming's statement in flight, then stops it."""
    unit = around if around is not None else nullcontext()
    if not enabled():
        with unit:
            yield None
        return
    with reader(store, threads=1) as other:  # (one worker: the load's statements keep the other)
        warmth = companion(store, "_warm_up", _Warmth) if other is not None else None
        if other is None or warmth is None or warmth.done:
            with unit:
                yield None
            return
        stop = threading.Event()

        def warm() -> None:
            for statement in STATEMENTS:
                if stop.is_set():
                    return
                read, _label = KEPT.get(statement, (statement, "")) if keep else (statement, "")
                since = _writes(store)
                try:
                    found = other.query(read)
                except TracegraphError:  # (a store without a table yet): nothing to warm
                    continue
                if read != statement:
                    warmth.kept[read] = (since, found)

        thread = threading.Thread(target=warm, name="warm-up", daemon=True)
        warmth.done = True
        thread.start()
        def end() -> None:
            stop.set()
            thread.join()

        try:
            with unit:
                try:
                    yield thread
                except BaseException:
                    end()  # before the rollback (which reopens the store); a commit runs beside the last statement
                    raise
        finally:
            end()


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
            with _unimportable(UNUSED):
                importlib.import_module(ANALYSIS)
        except ImportError:  # (raised again, and reported, by the analysis' own import)
            return

    thread = threading.Thread(target=load, name="imports-ahead", daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        thread.join()


@contextmanager
def _unimportable(names: tuple[str, ...]) -> Iterator[None]:
    """``names`` (modules not imported yet) raise ImportError when imported while the block runs, as where they are
    not installed; importable again after it."""
    blocked = [name for name in names if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]  # (the import system's "not importable" entry)
    try:
        yield
    finally:
        for name in blocked:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


def kept(store: GraphStore, statement: str) -> Result | None:
    """The rows of ``statement`` (a read of :data:`KEPT`) that the day's load kept for the analysis, once: None when
    none were kept, or when something that may have written their label ran since they were read (a write the
    store cannot put down to other labels included: :class:`graph.write_count.WriteCount`). The warming reader
    read what was committed then, and the load's transaction writes none of those nodes: the rows are those the
    statement gives now."""
    written = getattr(store, "written", None)  # (an embedded store's graph.write_count.WriteCount; Neo4j: none)
    if written is None or getattr(store, "read_only", True):
        return None
    warmth = companion(store, "_warm_up", _Warmth)
    entry = warmth.kept.pop(statement, None) if warmth is not None else None
    label = next((label for read, label in KEPT.values() if read == statement), None)
    if entry is None or label is None or not written.unchanged(label, entry[0]):
        return None
    return entry[1]


def _writes(store: GraphStore) -> int:
    """The store's write count (:class:`graph.write_count.WriteCount`; 0 for a store without one)."""
    written = getattr(store, "written", None)
    return int(written.count) if written is not None else 0
