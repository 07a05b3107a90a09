"""Trace-loader throughput into Neo4j against the embedded store, same rows, same machine, same run.

    .venv/bin/python bench/bench_neo4j_load.py --rows 100000 1000000 [--seed 7] [--batch-rows 250000]

For each size: generates N synthetic trace rows (bench_load_traces.generate_traces), loads them through the traces
loader into a fresh embedded store and into a fresh database on one local Neo4j 5.26 (graph/neo4j_server.py), and
prints rows/s, wall seconds and CPU seconds for each (the Python process; for Neo4j also the server's JVM, split by
thread kind: Bolt workers running the queries, garbage collection, HotSpot's JIT compilers, the rest), with the load
average before and after: the machine is shared, so CPU seconds and the ratio measured in one run are the figures to
trust. ``--warm-up ROWS`` loads (and deletes) other rows first, so the measured load runs on a server whose JIT has
compiled the hot paths, as a long-running server's has; ``--admin-import`` also times ``neo4j-admin database import``
of the graph the embedded load built (graph/neo4j_import.py, ``tracegraph neo4j import``).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_load_traces import generate_traces

from graph.embedded_store import EmbeddedStore
from graph.neo4j_import import import_store
from graph.neo4j_server import LocalNeo4j
from graph.neo4j_store import Neo4jStore
from graph.store import GraphStore
from loaders.base import LoadOptions, run_load
from loaders.traces import TracesLoader


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU of this process (``pid`` None) or of another one (its /proc stat)."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


THREAD_GROUPS = (("query", ("neo4j.Bolt",)), ("jit", ("C1 Compiler", "C2 Compiler")),
                 ("gc", ("GC Thread", "G1 ", "VM Thread")))


def server_threads(pid: int) -> dict[str, float]:
    """CPU seconds of a JVM's threads by kind: ``query`` (Bolt workers: Cypher, storage, commit), ``jit`` (HotSpot's
    compilers), ``gc``, ``other`` (start-up, page cache, checkpoints). Threads that ended are not counted."""
    groups = dict.fromkeys(("query", "gc", "jit", "other"), 0.0)
    tick = os.sysconf("SC_CLK_TCK")
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        kind = next((g for g, prefixes in THREAD_GROUPS if name.startswith(prefixes)), "other")
        groups[kind] += (int(fields[11]) + int(fields[12])) / tick
    return groups


def load(store: GraphStore, path: Path, batch_rows: int, rejects: Path, server_pid: int | None = None,
         label: str = "") -> dict:
    store.init_schema()
    load_before = os.getloadavg()[0]
    cpu = cpu_seconds()
    threads = server_threads(server_pid) if server_pid else {}
    started = time.perf_counter()
    report = run_load(TracesLoader, store, path, LoadOptions(rejects_dir=rejects, batch_rows=batch_rows))
    wall = time.perf_counter() - started
    cpu = cpu_seconds() - cpu
    server = {k: v - threads[k] for k, v in server_threads(server_pid).items()} if server_pid else {}
    server_cpu = sum(server.values())
    counts = store.counts()
    elements = sum(counts["nodes"].values()) + sum(counts["relationships"].values())
    result = {"backend": store.backend, "rows": report.loaded, "wall_s": wall, "rows_per_s": report.loaded / wall,
              "graph_elements": elements, "python_cpu_s": cpu, "server_cpu_s": server_cpu,
              "server_threads_s": dict(server), "load_before": load_before, "load_after": os.getloadavg()[0]}
    split = ", ".join(f"{k} {v:.1f}" for k, v in server.items())
    print(f"  {store.backend + label:14s} {report.loaded:>9,} rows  {wall:7.1f} s wall  {result['rows_per_s']:>8,.0f} "
          f"rows/s  ({elements:,} nodes + relationships, {elements / wall:,.0f}/s)  CPU python {cpu:6.1f} s"
          + (f" + server {server_cpu:6.1f} s ({split})" if server_pid else "")
          + f"  = {report.loaded / (cpu + server_cpu):,.0f} rows per CPU-second"
          + f"  load avg {load_before:.1f} -> {result['load_after']:.1f}", flush=True)
    return result


def admin_import(embedded: EmbeddedStore, root: Path, heap_mb: int, rows: int) -> None:
    """An initial load with ``neo4j-admin database import full`` (graph/neo4j_import.py, what ``tracegraph neo4j
    import`` runs) of the graph the loader built in the embedded store, into a fresh server home."""
    server = LocalNeo4j(root / "neo4j-import", heap_mb=heap_mb, pagecache_mb=heap_mb // 2)
    started = time.perf_counter()
    try:
        report = import_store(embedded, server, root / "csv", threads=2, max_off_heap="2G")
    finally:
        server.stop()
    elements = report.nodes + report.relationships
    print(f"  admin import: CSV export {report.export_s:.1f} s (python), neo4j-admin import {report.import_s:.1f} s "
          f"wall / {report.import_cpu_s:.1f} s CPU, constraints + indexes {report.schema_s:.1f} s; {elements:,} "
          f"nodes + relationships = {rows / (report.export_s + report.import_s + report.schema_s):,.0f} trace rows/s "
          f"(export + import + constraints; import alone {elements / report.import_s:,.0f} elements/s); "
          f"total with server start/stop {time.perf_counter() - started:.1f} s  load avg {os.getloadavg()[0]:.1f}",
          flush=True)


def clear(neo: Neo4jStore) -> None:
    while neo._read("MATCH (n) RETURN count(n) > 0").scalar():
        neo._write("MATCH (n) WITH n LIMIT 20000 DETACH DELETE n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch-rows", type=int, default=250_000)
    parser.add_argument("--heap-mb", type=int, default=2048)
    parser.add_argument("--neo4j-max-rows", type=int, default=None,
                        help="load sizes above this into the embedded store only (the transactional Neo4j load "
                             "would not finish in the time available)")
    parser.add_argument("--embedded-max-rows", type=int, default=None,
                        help="load sizes above this into Neo4j only (the embedded figure at that size is already "
                             "on record, and both loads at once would double the memory)")
    parser.add_argument("--buffer-pool-mb", type=int, default=None, help="cap the embedded engine's buffer pool")
    parser.add_argument("--admin-import", action="store_true",
                        help="also time neo4j-admin database import of the graph the embedded load built")
    parser.add_argument("--warm-up", type=int, default=0, metavar="ROWS",
                        help="first load ROWS other trace rows into Neo4j and delete them (a server that has run a "
                             "while: HotSpot has compiled the hot paths); the cold and the warm load are both printed")
    parser.add_argument("--server-heap-mb", type=int, default=None, help="the server's heap (default: --heap-mb)")
    args = parser.parse_args()
    heap = args.server_heap_mb or args.heap_mb
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        server = LocalNeo4j(root / "neo4j", heap_mb=heap, pagecache_mb=heap // 2).start()
        print(f"load average {os.getloadavg()}; Neo4j heap {heap} MB, page cache {heap // 2} MB", flush=True)
        try:
            if args.warm_up:
                path = root / "warm-up.csv"
                generate_traces(args.warm_up, args.seed + 1).to_csv(path, index=False)
                with Neo4jStore(server.uri, server.user, server.password) as neo:
                    load(neo, path, args.batch_rows, root / "rej-warm", server.pid, " (cold)")
                    clear(neo)
            for rows in args.rows:
                path = root / f"traces-{rows}.csv"
                generate_traces(rows, args.seed).to_csv(path, index=False)
                print(f"{rows:,} trace rows (seed {args.seed}), batches of {args.batch_rows:,}", flush=True)
                if args.embedded_max_rows is None or rows <= args.embedded_max_rows:
                    with EmbeddedStore(root / f"bench-{rows}.lbug", buffer_pool_mb=args.buffer_pool_mb) as embedded:
                        load(embedded, path, args.batch_rows, root / f"rej-e-{rows}")
                        if args.admin_import:
                            admin_import(embedded, root / f"admin-{rows}", args.heap_mb, rows)
                if args.neo4j_max_rows is not None and rows > args.neo4j_max_rows:
                    path.unlink()
                    continue
                with Neo4jStore(server.uri, server.user, server.password) as neo:
                    clear(neo)  # the previous size's graph
                    load(neo, path, args.batch_rows, root / f"rej-n-{rows}", server.pid,
                         " (warm)" if args.warm_up else "")
                path.unlink()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
