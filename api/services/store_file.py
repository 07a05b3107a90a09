"""The store file's upkeep: ``tracegraph store checkpoint`` and the checkpoint at the end of a full ``analyze``.

A day's commits go through the embedded store's write-ahead log and leave the checkpoint (writing the log's changes
into the file) for later (:mod:`graph.embedded_writes`): every open replays the log until then, and the engine
checkpoints by itself only when the log passes its ceiling. This is the later: run it where nobody waits (a nightly
timer; the weekly full analysis does it at its end). Neo4j checkpoints by itself: nothing to do there."""

from __future__ import annotations

import time
from typing import Any

from graph.store import GraphStore


def checkpoint(store: GraphStore) -> dict[str, Any]:
    """Checkpoint the store now: ``{"store", "log_bytes" (before), "log_bytes_after", "cpu_s", "wall_s"}``; for a
    store that has no such step (Neo4j), ``log_bytes`` is None and nothing is done."""
    run = getattr(store, "checkpoint", None)
    if run is None:
        return {"store": store.backend, "log_bytes": None, "log_bytes_after": None, "cpu_s": 0.0, "wall_s": 0.0}
    cpu, wall = time.process_time(), time.perf_counter()
    before = run()
    return {"store": store.backend, "log_bytes": before, "log_bytes_after": store.wal_bytes(),  # type: ignore[attr-defined]
            "cpu_s": round(time.process_time() - cpu, 3), "wall_s": round(time.perf_counter() - wall, 3)}


def describe(record: dict[str, Any]) -> str:
    """One line for the CLI."""
    if record["log_bytes"] is None:
        return f"the {record['store']} store checkpoints by itself: nothing to do"
    return (f"checkpointed: {record['log_bytes'] / 1e6:,.1f} MB of write-ahead log written into the store "
            f"({record['cpu_s']:.1f} CPU s, {record['wall_s']:.1f} s); the log is now "
            f"{record['log_bytes_after'] / 1e6:,.1f} MB")
