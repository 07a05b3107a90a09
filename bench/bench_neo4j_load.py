"""Trace-loader throughput into Neo4j against the embedded store, same rows, same machine, same run.

    .venv/bin/python bench/bench_neo4j_load.py --rows 100000 [--seed 7] [--batch-rows 250000]

Generates N synthetic trace rows (bench_load_traces.generate_traces), loads them through the traces loader into a
fresh embedded store and into a fresh local Neo4j 5.26 (graph/neo4j_server.py), and prints rows/s for each.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_load_traces import generate_traces

from graph.embedded_store import EmbeddedStore
from graph.neo4j_server import LocalNeo4j
from graph.neo4j_store import Neo4jStore
from graph.store import GraphStore
from loaders.base import LoadOptions, run_load
from loaders.traces import TracesLoader


def load(store: GraphStore, path: Path, batch_rows: int, rejects: Path) -> float:
    store.init_schema()
    started = time.perf_counter()
    report = run_load(TracesLoader, store, path, LoadOptions(rejects_dir=rejects, batch_rows=batch_rows))
    elapsed = time.perf_counter() - started
    print(f"  {store.backend:9s} {report.loaded:,} rows in {elapsed:.1f} s = {report.loaded / elapsed:,.0f} rows/s",
          flush=True)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch-rows", type=int, default=250_000)
    parser.add_argument("--heap-mb", type=int, default=2048)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = root / "traces.csv"
        generate_traces(args.rows, args.seed).to_csv(path, index=False)
        print(f"{args.rows:,} trace rows (seed {args.seed}), batches of {args.batch_rows:,}")
        with EmbeddedStore(root / "bench.lbug") as embedded:
            load(embedded, path, args.batch_rows, root / "rej-e")
        server = LocalNeo4j(root / "neo4j", heap_mb=args.heap_mb, pagecache_mb=args.heap_mb // 2).start()
        try:
            with Neo4jStore(server.uri, server.user, server.password) as neo:
                load(neo, path, args.batch_rows, root / "rej-n")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
