"""Paying the incremental analysis' first reads while the day's load runs (issue 21).

``tracegraph load day`` is a fresh process each day: its first analysis finds the engine's page cache cold, so its
reads of the stored scores, memberships, straw groups and corridor cells fault their pages in on the critical path.
The load runs on one core for a few seconds while the other is idle: :func:`during_load` reads those columns there,
on a reader made before the day's transaction (:func:`graph.store.reader`), in a thread of its own. Its results are
thrown away: it only brings pages into the cache, which every connection of the database shares, so nothing the
analysis computes can differ (the analysis reads what is committed after the load, as before). A statement that
fails only ends the warming; the load is never held up by more than the statement in flight when it ends.
Only the first day's load of an open store warms (a process that loads day after day, as the bench does, has the
pages cached from then on: warming again only costs CPU and cache). ``TRACEGRAPH_WARM_UP=0`` turns it off.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from graph.errors import TracegraphError
from graph.store import GraphStore, reader

#: the reads warmed, in this order (the person lane's first: it is the analysis' critical path)
STATEMENTS = ("warm_person_scores", "warm_memberships", "warm_straw_groups", "warm_corridor_cells")


def enabled() -> bool:
    return os.environ.get("TRACEGRAPH_WARM_UP", "1") != "0"


@contextmanager
def during_load(store: GraphStore) -> Iterator[threading.Thread | None]:
    """Enter before the day's transaction: the warming runs beside what the block does and is stopped (after the
    statement in flight) when it ends. Yields the thread (None: no reader, turned off, or warmed before)."""
    if not enabled() or getattr(store, "_warmed", False):
        yield None
        return
    with reader(store) as other:
        if other is None:
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
        store.__dict__["_warmed"] = True
        thread.start()
        try:
            yield thread
        finally:
            stop.set()
            thread.join()
