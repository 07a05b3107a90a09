"""The daily step for the CLI: ``analyze --incremental`` and the automatic incremental analysis at the end of
``tracegraph load`` (``--analyze incremental|none``; default ``incremental``, or ``TRACEGRAPH_LOAD_ANALYZE``).

After a load the incremental analysis runs when it can: a store with an earlier analysis, and only trace,
multiple-sale, NIBIN or lost/stolen loads since (:data:`algorithms.runs.INCREMENTAL_KINDS`). Otherwise the
load says in one line why it did not analyse (no analysis yet; a new FFL list, inspections, hotspots or state
tables call for a full ``tracegraph analyze``) and succeeds: the rows are in, the analysis waits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from api.settings import Settings
from graph.store import GraphStore

LOAD_ANALYZE = ("incremental", "none")


def incremental(store: GraphStore, config: Settings, progress: Callable[[str], None] | None = None
                ) -> dict[str, Any]:
    """Incremental analysis + alerts (+ delivery on the channels configured: webhook, TAXII collection): the run
    record. A channel's failures leave its alerts pending for `tracegraph alerts deliver`."""
    from algorithms.alerts import analyze_and_alert
    from api.services import delivery

    url, goal = delivery.webhook_url(config), delivery.taxii_target(config)  # a bad setting stops before the run
    result, raised = analyze_and_alert(store, deliver=url is not None, taxii=goal is not None, progress=progress)
    delivered = failed = None
    sent = None
    if raised and (url or goal is not None):
        sent = delivery.deliver(store, config, webhook=url, taxii=goal)
        reports = [r for r in (sent.webhook, sent.taxii) if r is not None]
        delivered, failed = sum(r.delivered for r in reports), sum(r.failed for r in reports)
    return {"run_id": result.run_id, "summary": result.summary, "timings": result.timings, "alerts": raised,
            "delivered": delivered, "failed": failed, "delivery": None if sent is None else sent.words()}


def after_load(store: GraphStore, config: Settings, mode: str) -> tuple[dict[str, Any] | None, str | None]:
    """(run record, None) when the incremental analysis ran; (None, why not) otherwise. Whether it can run is
    decided before the analysis is imported: a load that cannot take it (no analysis yet, an FFL list, state tables,
    inspections) does not pay for importing it."""
    from algorithms.runs import NeedsFullAnalysis, latest_analysis, new_load_runs

    if mode == "none":
        return None, None
    if latest_analysis(store) is None:
        return None, "not analysed: no analysis in this store yet (run `tracegraph analyze` once)"
    try:
        new_load_runs(store)
        return incremental(store, config), None
    except NeedsFullAnalysis as exc:
        return None, f"not analysed: {exc}"
