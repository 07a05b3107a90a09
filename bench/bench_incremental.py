"""A daily batch through load + ``analyze --incremental`` + alerts, against a full ``analyze`` in the same run.

Simulates a world, cuts it into a history and daily batches (``loaders.synthetic.stream``: about
``--batch-traces`` trace rows per batch plus the multiple-sale and NIBIN rows of those days), loads the history
and runs a full analysis, then for each batch: load (timed), incremental analysis + alerts + write-back (timed),
and finally one full analysis + write-back of the same store (timed) for comparison. Prints wall and CPU seconds
and the peak RSS.

    .venv/bin/python bench/bench_incremental.py --scale state --batch-traces 2000 [--batches 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from algorithms import alerts
from algorithms.analyze import analyze, write_back
from api.cli.demo import LOADS
from graph.embedded_store import EmbeddedStore
from loaders.base import LoadOptions, run_load
from loaders.kinds import loader_for
from loaders.synthetic import simulate
from loaders.synthetic.stream import BATCH_KINDS, split


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = _clock()
    return round(wall - start[0], 2), round(cpu - start[1], 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="state", choices=("small", "state", "national"))
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--batch-traces", type=int, default=2000)
    parser.add_argument("--batches", type=int, default=2)
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="tracegraph-incremental-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start", flush=True)
    try:
        simulate(args.scale, args.seed, work / "world")
        stream = split(work / "world", work / "stream", batches=args.batches, batch_traces=args.batch_traces)
        for stale in work.glob("bench.lbug*"):
            stale.unlink()
        store = EmbeddedStore(work / "bench.lbug")
        store.init_schema()
        options = LoadOptions(rejects_dir=work / "rejects")
        start = _clock()
        for kind, name in LOADS:
            run_load(loader_for(kind), store, stream.history / name, options)
        print(f"history load: {_since(start)} s (wall, CPU)", flush=True)
        start = _clock()
        write_back(store, analyze(store))
        print(f"full analyze + write back (history): {_since(start)}", flush=True)
        for number, batch in enumerate(stream.batches, start=1):
            start = _clock()
            rows = 0
            for kind, name in BATCH_KINDS:
                rows += run_load(loader_for(kind), store, batch / name, options).loaded
            loaded = _since(start)
            start = _clock()
            result, raised = alerts.analyze_and_alert(store, deliver=True)
            incremental = _since(start)
            print(f"batch {number} ({rows} rows, days {stream.days[number - 1]}): load {loaded}, incremental + "
                  f"alerts + write back {incremental}; {raised} alerts; "
                  f"summary {json.dumps(result.summary)}; timings {json.dumps(result.timings)}", flush=True)
        start = _clock()
        write_back(store, analyze(store))
        print(f"full analyze + write back (same store, after the batches): {_since(start)}", flush=True)
        print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; load average "
              f"{os.getloadavg()[0]:.1f} at end", flush=True)
        store.close()
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
