"""The daily step for the CLI: ``analyze --incremental`` and the automatic incremental analysis at the end of
``tracegraph load`` (``--analyze incremental|none``; default ``incremental``, or ``TRACEGRAPH_LOAD_ANALYZE``).

After a load the incremental analysis runs when it can: a store with an earlier analysis, and only trace,
multiple-sale, NIBIN or lost/stolen loads since (:data:`algorithms.runs.INCREMENTAL_KINDS`). Otherwise the
load says in one line why it did not analyse (no analysis yet; a new FFL list, inspections, hotspots or state
tables call for a full ``tracegraph analyze``) and succeeds: the rows are in, the analysis waits.

:func:`load_files` is the load itself (``tracegraph load KIND PATH`` and ``tracegraph load day DIR``: a day's files
as one transaction), the one the CLI and ``bench/bench_incremental.py`` both run."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any

from algorithms import warm_up
from api.process_memory import heap_ahead, heap_step
from api.settings import Settings
from graph.errors import StoreOutOfMemory, TracegraphError, analysis_out_of_memory
from graph.side_keeping import delta_beside
from graph.store import GraphStore, one_unit, reader, rows_copied
from loaders.base import LoadOptions, LoadReport, run_load
from loaders.day import DAY, day_files
from loaders.domain import locations
from loaders.kinds import loader_for

LOAD_ANALYZE = ("incremental", "none")


def files_to_load(kind: str, path: Path) -> list[tuple[str, Path]]:
    """(kind, file) in load order: a day's folder (``kind`` day, :func:`loaders.day.day_files`) or one file. An
    unknown kind is refused here, before a store is opened."""
    files = day_files(path) if kind == DAY else [(kind, path)]
    for known, _file in files:
        loader_for(known)
    return files


def load_files(store: GraphStore, files: list[tuple[str, Path]], options: LoadOptions, *, one_transaction: bool,
               progress: Callable[[str, Path], Callable[[int], None]] | None = None,
               analysis_follows: bool = False) -> list[LoadReport]:
    """Load ``files`` in order (one load run each) with the stolen-hit check after traces and lost/stolen loads;
    ``one_transaction`` (a day): all of them in one transaction, all of the day or none of it (loaders/day.py);
    its commit goes to the write-ahead log and the checkpoint waits (graph/embedded_writes.py).
    ``progress(kind, file)`` gives a file's row counter. ``analysis_follows``: the incremental analysis' modules
    are imported beside the load (:func:`algorithms.warm_up.imports_ahead`), and a day's side-table part is read
    after its commit beside the analysis' first stages (:func:`graph.side_keeping.delta_beside`)."""
    from algorithms.stolen_hits import after_load as stolen_hits  # loaders call the analytics through this hook

    reports = []
    if any(kind == "traces" for kind, _file in files):
        locations.tables_ahead()  # the gazetteer, built beside the day's first statements (loaders/traces.py)
    if one_transaction:
        store.init_schema()  # (once per open: what every file's run asks first, before the reader is made)
    # a second connection, made before the day's transaction: the first file's stored persons are read through it,
    # in a thread of their own beside the first writes (PersonResolver.resolve_run, LoadOptions.committed), with one
    # of the engine's workers (graph.store.reader: the writes keep the other), and another, on which the analysis'
    # first reads are warmed meanwhile on the idle core (algorithms/warm_up.py)
    day = one_transaction and len(files) > 0
    unit = one_unit(store) if one_transaction else nullcontext()
    # (a failed day stops the warming before its rollback reopens the store: warm_up.during_load); the day's new heap
    # is faulted in on the idle core ahead of the loading thread's mallocs (the engine's commit takes ~0.45 GB of it
    # at national scale): api/process_memory.py. When the analysis follows, the side table's delta after the day's
    # commit is read beside its first stages (graph.side_keeping.delta_beside: only the person lane reads it)
    with heap_ahead(_heap_step(store) if day else 0), \
            warm_up.imports_ahead(analysis_follows and len(files) > 0), \
            delta_beside(store, day and analysis_follows), \
            reader(store, threads=1) if day else nullcontext(None) as committed, \
            warm_up.during_load(store, keep=analysis_follows, around=unit) if day else unit:
        for kind, file in files:
            loader = loader_for(kind)
            counter = progress(loader.kind, file) if progress is not None else options.progress
            reports.append(run_load(loader, store, file, replace(options, after_load=stolen_hits,
                                                                  progress=counter, committed=committed)))
    return reports


def _heap_step(store: GraphStore) -> int:
    """How far a day's load grows the heap ahead (:func:`api.process_memory.heap_step`): by the embedded store's
    file; 0 for Neo4j (its engine is another process)."""
    path = getattr(store, "path", None)
    if getattr(store, "backend", None) != "embedded" or not isinstance(path, Path) or not path.is_file():
        return 0
    return heap_step(path.stat().st_size)


def analysis_may_follow(store: GraphStore, files: list[tuple[str, Path]], mode: str) -> bool:
    """Whether :func:`after_load` is to run the incremental analysis after these files load (as far as can be told
    before: a store with an analysis, only kinds it can take), so that its modules are worth importing beside the
    load (:func:`load_files`' ``analysis_follows``)."""
    from algorithms.runs import INCREMENTAL_KINDS, latest_analysis

    if mode == "none" or not files or not all(loader_for(kind).kind in INCREMENTAL_KINDS for kind, _f in files):
        return False
    try:
        return latest_analysis(store) is not None
    except TracegraphError:  # a new store, its schema not made yet (the load makes it): no analysis either
        return False


def incremental(store: GraphStore, config: Settings, progress: Callable[[str], None] | None = None
                ) -> dict[str, Any]:
    """Incremental analysis + alerts (+ delivery on the channels configured: webhook, TAXII collection): the run
    record. A channel's failures leave its alerts pending for `tracegraph alerts deliver`."""
    from algorithms.alerts import analyze_and_alert
    from api.services import delivery

    url, goal = delivery.webhook_url(config), delivery.taxii_target(config)  # a bad setting stops before the run

    def run() -> tuple[Any, int]:
        return analyze_and_alert(store, deliver=url is not None, taxii=goal is not None, progress=progress)

    try:
        result, raised = run()
    except StoreOutOfMemory as exc:
        # the days' changes not yet checkpointed stay in the page cache (the engine cannot evict them), and so does
        # a write back through the log until its commit: a national day with a 1 GB cache filled it. Write the log
        # into the file and run once more with the rows COPY'd, as with the log path off (nothing of the failed run
        # was written: its write back is one transaction)
        with rows_copied(store) as freed:
            if not freed:
                raise analysis_out_of_memory(exc, "tracegraph analyze --incremental") from exc
            try:
                result, raised = run()
            except StoreOutOfMemory as again:
                raise analysis_out_of_memory(again, "tracegraph analyze --incremental") from again
    delivered = failed = None
    sent = None
    if raised and (url or goal is not None):
        sent = delivery.deliver(store, config, webhook=url, taxii=goal)
        reports = [r for r in (sent.webhook, sent.taxii) if r is not None]
        delivered, failed = sum(r.delivered for r in reports), sum(r.failed for r in reports)
    return {"run_id": result.run_id, "summary": result.summary, "timings": result.timings,
            "cpu_timings": result.cpu_timings, "alerts": raised,
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
