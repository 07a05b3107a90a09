"""The full analysis as one service: ``tracegraph analyze`` and both demos run it.

A full run scores straw purchasers and dealers, finds networks, centrality and corridors
(:func:`algorithms.analyze.analyze`), writes them back with the run record (:func:`algorithms.analyze.write_back`),
says whether the store holds records past its retention policy (:func:`algorithms.retention.overdue`), and then
checkpoints the embedded store: the days' write-ahead log goes into the file here, where nobody waits (the weekly
run; :mod:`api.services.store_file`), and writes the embedded store's side table anew
(:mod:`graph.side_table`). The daily step is :mod:`api.services.daily`'s."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from algorithms import straw_member_index
from algorithms.analyze import AnalysisResult, analyze, write_back
from algorithms.retention import overdue
from api.services.store_file import checkpoint
from graph.store import GraphStore
from loaders.straw_keys import index_unkeyed


@dataclass(frozen=True)
class FullRun:
    result: AnalysisResult
    overdue: str | None  # one line when records are past the retention policy, else None
    checkpoint: dict[str, Any]  # api.services.store_file.checkpoint's record

    def record(self) -> dict[str, Any]:
        """What ``tracegraph analyze --json`` prints."""
        return {"run_id": self.result.run_id, "summary": self.result.summary, "timings": self.result.timings,
                "code_version": self.result.parameters["code_version"], "checkpoint": self.checkpoint}


def full_analysis(store: GraphStore, *, seed: int = 0, resolution: float | None = None, engine: str = "igraph",
                  progress: Callable[[str], None] | None = None) -> FullRun:
    """Analyse everything, write it back, check retention and checkpoint (see the module's docstring)."""
    started = datetime.now(UTC)
    options = {} if resolution is None else {"resolution": resolution}
    result = analyze(store, seed=seed, progress=progress, engine=engine, **options)
    write_back(store, result, started_at=started)
    index_unkeyed(store)  # guns a load left under no straw lookup key (loaders/straw_keys.py), keyed again
    late = overdue(store, datetime.now(UTC).date())
    stored = checkpoint(store)
    straw_member_index.after_full_analysis(store)  # the straw closure's inputs and membership index beside the store
    return FullRun(result=result, overdue=late, checkpoint=stored)
