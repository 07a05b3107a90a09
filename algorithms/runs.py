"""Which load runs an incremental analysis takes in, without importing the analysis itself.

``tracegraph load`` asks this after every load (:func:`api.services.daily.after_load`); most small loads (a new FFL
list, the ATF state tables, inspections, or any load into a store never analysed) end here, and importing
:mod:`algorithms.incremental` (scipy, igraph) only to learn that cost ~1 CPU second a load, most of the command.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from graph.errors import InvalidInput
from graph.store import GraphStore

#: load kinds an incremental run can take in; any other new run (an FFL list, inspections, hotspots, state
#: tables) changes facts shared by many scores and makes the run a full one.
INCREMENTAL_KINDS = frozenset({"traces", "multiple-sales", "nibin", "stolen"})


#: what one corrected record of a load kind is called in the refusal
RECORDS = {"traces": "trace record", "multiple-sales": "multiple-sale record", "nibin": "NIBIN lead",
           "stolen": "lost/stolen report"}


class NeedsFullAnalysis(InvalidInput):
    """The store's state calls for a full analysis (no earlier one, or new inputs an increment cannot take)."""


def latest_analysis(store: GraphStore) -> dict[str, Any] | None:
    runs = store.node_table("AnalysisRun", ("finished_at", "input_runs", "parameters")).to_pylist()
    if not runs:
        return None
    return max(runs, key=lambda r: (r["finished_at"] or datetime.min, r["key"]))


def mark_latest_analysis(store: GraphStore, flag: str, value: int = 1) -> None:
    """Record in the latest analysis' parameters that the store holds the state named ``flag`` (``dealer_counts``,
    ``serial_groups``): what a migration does once it has computed that state, so the next incremental run
    updates it instead of computing it again. No analysis: nothing to mark."""
    latest = latest_analysis(store)
    if latest is None:
        return
    parameters = {**json.loads(latest["parameters"] or "{}"), flag: value}
    store.upsert_nodes("AnalysisRun", [{"run_id": latest["key"], "parameters": json.dumps(parameters, sort_keys=True)}])


def new_load_runs(store: GraphStore) -> tuple[str, list[str], dict[str, str]]:
    """(latest analysis run id, load runs since it in key order, kind of each new run). Raises
    :class:`NeedsFullAnalysis`."""
    latest = latest_analysis(store)
    if latest is None:
        raise NeedsFullAnalysis("no analysis in this store yet: run a full `tracegraph analyze` first")
    seen = set(json.loads(latest["input_runs"] or "[]"))
    runs = [r for r in store.node_table("LoadRun", ("kind", "details")).to_pylist() if r["key"] not in seen]
    kinds = {str(r["key"]): str(r["kind"]) for r in sorted(runs, key=lambda r: str(r["key"]))}
    other = sorted({k for k in kinds.values() if k not in INCREMENTAL_KINDS})
    if other:
        raise NeedsFullAnalysis(f"new {', '.join(other)} load(s) since the last analysis change facts many "
                                "scores share: run a full `tracegraph analyze`")
    # a corrected record can take a person out of a straw group or a tie out of a network; the incremental run only
    # adds (loaders/corrections.py). Runs recorded before the split count every correction.
    corrected: dict[str, int] = {}
    for run in runs:
        details = json.loads(run["details"] or "{}")
        count = int(details.get("corrected_for_analysis", details.get("corrected", 0)))
        if count:
            corrected[str(run["kind"])] = corrected.get(str(run["kind"]), 0) + count
    if corrected:
        said = ", ".join(f"{n:,} {RECORDS.get(kind, kind + ' record')}(s)" for kind, n in sorted(corrected.items()))
        raise NeedsFullAnalysis(f"{said} loaded again with other facts since the last analysis (a correction can "
                                "take a person out of a group or a tie out of a network): run a full "
                                "`tracegraph analyze`")
    return str(latest["key"]), list(kinds), kinds
