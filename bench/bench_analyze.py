"""Full ``tracegraph analyze`` on a simulated world (target: national scale under 5 minutes on 2 cores).

Simulates the world (``loaders.synthetic.simulate``), loads every file the simulator writes into a fresh
embedded store (the same list the demo loads), then runs ``algorithms.analyze.analyze`` + ``write_back`` and
prints the wall and CPU time of each stage and of the whole analysis. ``--keep DIR`` keeps the inputs and the
store (a second run with the same DIR and ``--reuse`` skips simulation and loading).

    .venv/bin/python bench/bench_analyze.py --scale national [--seed 5] [--keep /tmp/nat] [--reuse]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from algorithms.analyze import analyze, write_back
from api.cli.demo import LOADS
from graph.embedded_store import EmbeddedStore
from loaders.base import LoadOptions, run_load
from loaders.kinds import loader_for
from loaders.synthetic import simulate


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float]) -> str:
    wall, cpu = _clock()
    return f"{wall - start[0]:.1f} s wall, {cpu - start[1]:.1f} s CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="national", choices=("small", "state", "national"))
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--keep", type=Path, default=None, help="work here and keep inputs and store")
    parser.add_argument("--reuse", action="store_true", help="reuse the inputs and store already in --keep")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="tracegraph-analyze-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "bench.lbug"
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.1f} at start")
    try:
        if not (args.reuse and db.exists()):
            for stale in work.glob("bench.lbug*"):
                stale.unlink()
            start = _clock()
            result = simulate(args.scale, args.seed, work / "inputs")
            print(f"simulate {args.scale} seed {args.seed}: {result.rows.get('traces.csv', 0):,} traces "
                  f"({_since(start)})")
            start = _clock()
            with EmbeddedStore(db) as store:
                store.init_schema()
                for kind, name in LOADS:
                    path = work / "inputs" / name
                    if path.exists():
                        one = _clock()
                        report = run_load(loader_for(kind), store, path,
                                          LoadOptions(rejects_dir=work / "rejects"))
                        print(f"  load {kind:15s} {report.read:>10,} rows ({_since(one)})")
            print(f"load everything: {_since(start)}")
        with EmbeddedStore(db) as store:
            store.init_schema()  # idempotent; brings a reused store up to the current schema
            counts = store.counts()
            print(f"graph: {sum(counts['nodes'].values()):,} nodes, "
                  f"{sum(counts['relationships'].values()):,} relationships")
            start = _clock()
            started_at = datetime.now(UTC)
            analysis = analyze(store, seed=args.seed)
            computed = _since(start)
            write_back(store, analysis, started_at=started_at)
            print(f"analyze (compute): {computed}")
            print(f"analyze + write back: {_since(start)}")
            print("stages (s): " + json.dumps(analysis.timings, sort_keys=True))
            print("summary: " + json.dumps(analysis.summary, sort_keys=True, default=str))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS {peak:,.0f} MB; load average {os.getloadavg()[0]:.1f} at end")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
