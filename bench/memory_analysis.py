"""The daily step's analysis after a load, memory by stage, split into what holds it: Python and numpy
(``tracemalloc``), Arrow's pool, the engine's buffer manager (``CALL bm_info()``: its page cache, capped by
``--buffer-pool-mb``, and what it allocates through it), the rest of the anonymous memory (the engine's other
working memory, freed memory the allocators keep) and the file-backed pages (the side table's memory-mapped files).

Copies ``STORE`` (a store with a day loaded and not analysed, e.g. /tmp/nat10/loaded1.lbug) to ``--work`` and, in
this process, opens the copy, takes the process's memory as the baseline, then runs
:func:`algorithms.alerts.analyze_and_alert` (analysis, alerts, write back, commit) under
``bench/memory_probe.py``. ``--sequential`` runs the two lanes one after the other, so that each stage's figures are
its own (the daily step runs them beside each other: then a stage's peak includes the other lane's); ``--python``
traces Python's allocations (slow: ~3x the CPU), each stage's peak then counted from its start.

    .venv/bin/python bench/memory_analysis.py /tmp/nat10/loaded1.lbug --work /tmp/me/mem --buffer-pool-mb 1024 \\
        --sequential --python
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

MB = 1024 * 1024


def measure(store_path: Path, pool_mb: int, *, sequential: bool, python: bool) -> dict[str, Any]:
    """One analysis of ``store_path`` (written to: use a copy), memory by stage."""
    from memory_probe import Probe, instrument

    from algorithms import alerts, incremental
    from algorithms import analyze as full
    from graph.embedded_store import EmbeddedStore

    traced: dict[str, list[int]] = {}  # stage -> [Python peak, Python at end] (bytes above the baseline)
    base = [0]
    original_timer = full.stage_timer

    def stage_timer(*args: Any, **kwargs: Any) -> Any:
        timed = original_timer(*args, **kwargs)

        def tagged(name: str, func: Any) -> Any:
            if python and sequential:
                tracemalloc.reset_peak()
            value = timed(name, func)
            if python:
                now, peak = tracemalloc.get_traced_memory()
                traced[name] = [peak - base[0], now - base[0]]
            return value
        return tagged

    started = time.perf_counter(), time.process_time()
    with EmbeddedStore(store_path, buffer_pool_mb=pool_mb) as store, Probe(engine=store) as probe:
        if python:
            tracemalloc.start()
        probe.set_baseline()
        base[0] = tracemalloc.get_traced_memory()[0] if python else 0
        full.stage_timer = alerts.stage_timer = stage_timer  # (inside instrument's tags: they wrap this one)
        every = incremental.analyze_incremental
        if sequential:
            alerts.analyze_incremental = lambda on, **kw: every(on, parallel=False, **kw)
        try:
            with instrument():
                result, count = alerts.analyze_and_alert(store)
        finally:
            full.stage_timer = alerts.stage_timer = original_timer
            alerts.analyze_incremental = every
        python_peak = tracemalloc.get_traced_memory()[1] - base[0] if python else 0
        if python:
            tracemalloc.stop()
        rows = probe.rows()
    for row in rows:
        name = row["stage"].rsplit("/", 1)[-1]
        if name in traced:
            row["python"], row["python_end"] = (round(v / MB, 1) for v in traced[name])
    return {"rows": rows, "baseline_mb": {k: round(v / MB) for k, v in probe.baseline.items()},
            "python_peak_mb": round(python_peak / MB, 1) if python and not sequential else None,
            "alerts": count, "closure": result.touched.closure, "changed": len(result.touched.changed),
            "rescored": len(result.straw), "pool_mb": pool_mb, "sequential": sequential,
            "wall": round(time.perf_counter() - started[0], 2),
            "cpu": round(time.process_time() - started[1], 2)}


def table(run: dict[str, Any]) -> str:
    """Per stage, MB above the baseline: peak RssAnon, RssFile, the engine's buffer manager (its page cache and
    what it allocates through it), Arrow's pool, Python (with ``--python``), and the anonymous memory left at the
    stage's end."""
    head = ("stage", "s", "anon", "file", "engine", "arrow", "python", "python end", "anon at end")
    lines = [f"baseline {run['baseline_mb']}; closure {run['closure']}, changed {run['changed']}, rescored "
             f"{run['rescored']}, {run['alerts']} alerts; {run['wall']} s wall, {run['cpu']} CPU s",
             " | ".join(head), " | ".join(["---"] + ["---:"] * (len(head) - 1))]
    for row in run["rows"]:
        cells = [row["stage"], row["seconds"], row["RssAnon"], row["RssFile"], row["engine"], row["arrow"],
                 row.get("python", ""),
                 row.get("python_end", ""), row["end_RssAnon"]]
        lines.append(" | ".join(str(c) for c in cells))
    if run["python_peak_mb"] is not None:
        lines.append(f"Python's peak over the run: {run['python_peak_mb']} MB above the baseline")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path, help="a store with a day loaded, not analysed (copied, never written)")
    parser.add_argument("--work", type=Path, required=True, help="the copy goes here (deleted afterwards)")
    parser.add_argument("--buffer-pool-mb", type=int, default=1024)
    parser.add_argument("--sequential", action="store_true", help="the lanes one after the other")
    parser.add_argument("--python", action="store_true", help="trace Python's allocations (slow)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    from bench_batch_memory import copy_store

    args.work.mkdir(parents=True, exist_ok=True)
    copy = args.work / "analysis.lbug"
    copy_store(args.store, copy)
    try:
        run = measure(copy, args.buffer_pool_mb, sequential=args.sequential, python=args.python)
    finally:
        for part in args.work.glob(copy.name + "*"):  # the copy's file, log, side table and stamps
            subprocess.run(["rm", "-rf", str(part)], check=True)
    print(table(run))
    if args.json:
        args.json.write_text(json.dumps(run, indent=1))


if __name__ == "__main__":
    main()
