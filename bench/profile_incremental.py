"""Where an incremental analysis spends its CPU, statement by statement, on a store that holds new loads.

Runs :func:`algorithms.incremental.analyze_incremental` on ``STORE`` (it writes nothing: the store is left as it
was, so the run can be repeated) and times every Cypher statement it sends, per stage: calls, CPU seconds (this
process, all threads), keys sent (``$keys``) and rows back. What a stage spends outside its statements is pandas.
``--repeat N`` runs the analysis N times in one process (the first pays for a cold page cache); each run prints a
digest of its results (the changed set, the rescored persons' scores and indicators, the network joins, the alerts'
recovery rows): equal digests mean equal results, so a change to a read path can be checked on a copy before it is
built into the bench.

Use a copy: load a day into a copy of an analysed store (``tracegraph load day`` with ``--no-analyze``, or
``api.services.daily.load_files``), then

    .venv/bin/python bench/profile_incremental.py /tmp/me/loaded1.lbug --buffer-pool-mb 6144 --repeat 2
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd

from algorithms.incremental import IncrementalResult, analyze_incremental
from graph.embedded_store import EmbeddedStore
from graph.store import Result

COLUMNS = ["stage", "statement", "calls", "cpu_s", "keys", "rows"]


def profile(store: EmbeddedStore, *, parallel: bool = False) -> tuple[IncrementalResult, pd.DataFrame]:
    """One incremental analysis of ``store`` (nothing written) and its statements: stage, statement, calls,
    cpu_s, keys, rows (the stage is the one announced last when the statement ran). ``parallel``: the trace lane
    in its own thread, as the daily step runs it (its statements are not timed then, and the stages' CPU seconds
    overlap)."""
    stage = ["start"]
    spent: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0.0, 0, 0])
    query = store.query

    def timed_query(name: str, params: dict[str, Any] | None = None) -> Result:
        started = time.process_time()
        found = query(name, params)
        row = spent[(stage[0], name)]
        row[0] += 1
        row[1] += time.process_time() - started
        keys = (params or {}).get("keys")
        row[2] += len(keys) if isinstance(keys, list) else 0
        row[3] += found.arrow().num_rows
        return found

    store.query = timed_query  # type: ignore[method-assign]
    try:
        result = analyze_incremental(store, progress=lambda message: stage.__setitem__(0, message.split(" ")[0]),
                                     parallel=parallel)
    finally:
        del store.query  # the class's method again
    table = pd.DataFrame([(s, n, *v) for (s, n), v in spent.items()], columns=COLUMNS)
    return result, table.sort_values("cpu_s", ascending=False, kind="stable").reset_index(drop=True)


def digest(result: IncrementalResult) -> str:
    """A digest of what the run would write and alert on (equal results, equal digests)."""
    h = hashlib.sha256()
    touched = result.touched
    h.update(json.dumps([sorted(touched.seeds), sorted(touched.changed), touched.closure]).encode())
    frames = [result.straw, result.joins, result.recoveries, result.cells, result.hubs]
    frames += [found.table for _, found in sorted(result.corridors.items())]
    if result.dealers is not None:
        frames.append(result.dealers.table)
    h.update(json.dumps([[b.batch_id, sorted(b.firearm_keys)] for b in result.batches or []]).encode())
    for frame in frames:
        ordered = frame.sort_values(list(frame.columns)[:2], kind="stable").reset_index(drop=True)
        h.update(pd.util.hash_pandas_object(ordered.astype(str), index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--buffer-pool-mb", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--top", type=int, default=40, help="statements shown per run")
    parser.add_argument("--parallel", action="store_true", help="the trace lane in its own thread, as the daily "
                        "step runs it (its statements are not timed then)")
    args = parser.parse_args()
    with EmbeddedStore(args.store, buffer_pool_mb=args.buffer_pool_mb) as store:
        for run in range(1, args.repeat + 1):
            started, wall = time.process_time(), time.perf_counter()
            result, table = profile(store, parallel=args.parallel)
            cpu = result.cpu_timings
            engine = table.groupby("stage")["cpu_s"].sum()
            print(f"run {run}: {time.process_time() - started:.2f} CPU s, {time.perf_counter() - wall:.2f} s wall, "
                  f"digest {digest(result)}, "
                  f"{int(table['calls'].sum())} statements, {table['cpu_s'].sum():.2f} CPU s in them")
            print("  stage CPU s (statements / rest):", json.dumps(
                {s: [round(float(engine.get(s, 0.0)), 2), round(c - float(engine.get(s, 0.0)), 2)]
                 for s, c in sorted(cpu.items(), key=lambda kv: -kv[1])}))
            print(table.head(args.top).round({"cpu_s": 3}).to_string(index=False))


if __name__ == "__main__":
    main()
