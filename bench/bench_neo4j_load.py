"""Trace-loader throughput into Neo4j against the embedded store, same rows, same machine, same run.

    .venv/bin/python bench/bench_neo4j_load.py --rows 100000 1000000 [--seed 7] [--batch-rows 250000]

For each size: generates N synthetic trace rows (bench_load_traces.generate_traces), loads them through the traces
loader into a fresh embedded store and into a fresh database on one local Neo4j 5.26 (graph/neo4j_server.py), and
prints rows/s, wall seconds and CPU seconds for each (the Python process; for Neo4j also the server's JVM), with the
load average before and after: the machine is shared, so the ratio measured in one run is the figure to trust.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_load_traces import generate_traces

from graph.embedded_store import EmbeddedStore
from graph.neo4j_server import ADMIN_TOOL, LocalNeo4j, resolve_jars
from graph.neo4j_store import Neo4jStore
from graph.schema import SCHEMA
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


def load(store: GraphStore, path: Path, batch_rows: int, rejects: Path, server_pid: int | None = None) -> dict:
    store.init_schema()
    load_before = os.getloadavg()[0]
    cpu, server_cpu = cpu_seconds(), cpu_seconds(server_pid) if server_pid else 0.0
    started = time.perf_counter()
    report = run_load(TracesLoader, store, path, LoadOptions(rejects_dir=rejects, batch_rows=batch_rows))
    wall = time.perf_counter() - started
    cpu = cpu_seconds() - cpu
    server_cpu = cpu_seconds(server_pid) - server_cpu if server_pid else 0.0
    counts = store.counts()
    elements = sum(counts["nodes"].values()) + sum(counts["relationships"].values())
    result = {"backend": store.backend, "rows": report.loaded, "wall_s": wall, "rows_per_s": report.loaded / wall,
              "graph_elements": elements,
              "python_cpu_s": cpu, "server_cpu_s": server_cpu, "load_before": load_before,
              "load_after": os.getloadavg()[0]}
    print(f"  {store.backend:9s} {report.loaded:>9,} rows  {wall:7.1f} s wall  {result['rows_per_s']:>8,.0f} rows/s  "
          f"({elements:,} nodes + relationships, {elements / wall:,.0f}/s)  "
          f"CPU python {cpu:6.1f} s" + (f" + server {server_cpu:6.1f} s" if server_pid else "")
          + f"  load avg {load_before:.1f} -> {result['load_after']:.1f}", flush=True)
    return result


ADMIN_TYPES = {"STRING": "string", "INT64": "long", "DOUBLE": "double", "BOOL": "boolean", "DATE": "date",
               "TIMESTAMP": "localdatetime"}


def export_for_admin_import(store: EmbeddedStore, folder: Path) -> list[str]:
    """Every label and relationship type of ``store`` as CSV files in neo4j-admin's import format (one ID space
    per label); returns the ``--nodes`` / ``--relationships`` arguments."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    def plain(table: pa.Table, names: list[str]) -> pa.Table:
        columns = []
        for column in table.columns:
            if pa.types.is_timestamp(column.type):
                column = pc.strftime(column, format="%Y-%m-%dT%H:%M:%S")
            columns.append(column)
        return pa.table(columns, names=names)

    folder.mkdir(parents=True, exist_ok=True)
    arguments = []
    for node in SCHEMA.nodes:
        props = [p for p in node.properties if p.name != node.key]
        table = store.node_table(node.name, tuple(p.name for p in props))
        if table.num_rows == 0:
            continue
        header = [f"{node.key}:ID({node.name})"] + [f"{p.name}:{ADMIN_TYPES[p.type]}" for p in props]
        pcsv.write_csv(plain(table, header), folder / f"{node.name}.csv")
        arguments.append(f"--nodes={node.name}={folder / f'{node.name}.csv'}")
    for rel in SCHEMA.relationships:
        for source, target in rel.endpoints:
            table = store.edge_list(rel.name, source, target, tuple(p.name for p in rel.properties))
            if table.num_rows == 0:
                continue
            header = [f":START_ID({source})", f":END_ID({target})"] + [f"{p.name}:{ADMIN_TYPES[p.type]}"
                                                                      for p in rel.properties]
            name = f"{rel.name}-{source}-{target}.csv"
            pcsv.write_csv(plain(table, header), folder / name)
            arguments.append(f"--relationships={rel.name}={folder / name}")
    return arguments


def admin_import(embedded: EmbeddedStore, root: Path, heap_mb: int, rows: int) -> None:
    """An initial load with ``neo4j-admin database import full`` of the graph the loader built, into a fresh
    server home; then the server starts on it and ``init`` creates the constraints and indexes."""
    started = time.perf_counter()
    arguments = export_for_admin_import(embedded, root / "import")
    exported = time.perf_counter() - started
    server = LocalNeo4j(root / "neo4j-import", heap_mb=heap_mb, pagecache_mb=heap_mb // 2)
    lib = resolve_jars()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    server.start().stop()  # the home, its conf and the password, with an empty database to replace
    command = server._java(lib, ADMIN_TOOL, "database", "import", "full", "neo4j", "--overwrite-destination",
                           "--threads=2", f"--report-file={root / 'import.report'}", *arguments)
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False,
                          env={**os.environ, "NEO4J_HOME": str(server.home), "NEO4J_CONF": str(server.home / "conf")})
    imported = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    import_cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    if done.returncode != 0:
        print("  admin import failed:", (done.stdout + done.stderr)[-800:], flush=True)
        return
    server.start()
    try:
        with Neo4jStore(server.uri, server.user, server.password) as neo:
            began = time.perf_counter()
            neo.init_schema()
            constraints = time.perf_counter() - began
            counts = neo.counts()
    finally:
        server.stop()
    elements = sum(counts["nodes"].values()) + sum(counts["relationships"].values())
    print(f"  admin import: export {exported:.1f} s (python), neo4j-admin import {imported:.1f} s wall / "
          f"{import_cpu:.1f} s CPU (incl. one server start+stop before it), constraints {constraints:.1f} s; "
          f"{elements:,} nodes + relationships = {rows / (exported + imported + constraints):,.0f} trace rows/s "
          f"end to end (import alone {elements / imported:,.0f} elements/s); "
          f"total {time.perf_counter() - started:.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch-rows", type=int, default=250_000)
    parser.add_argument("--heap-mb", type=int, default=2048)
    parser.add_argument("--neo4j-max-rows", type=int, default=None,
                        help="load sizes above this into the embedded store only (the transactional Neo4j load "
                             "would not finish in the time available)")
    parser.add_argument("--buffer-pool-mb", type=int, default=None, help="cap the embedded engine's buffer pool")
    parser.add_argument("--admin-import", action="store_true",
                        help="also time neo4j-admin database import of the graph the embedded load built")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        server = LocalNeo4j(root / "neo4j", heap_mb=args.heap_mb, pagecache_mb=args.heap_mb // 2).start()
        try:
            for rows in args.rows:
                path = root / f"traces-{rows}.csv"
                generate_traces(rows, args.seed).to_csv(path, index=False)
                print(f"{rows:,} trace rows (seed {args.seed}), batches of {args.batch_rows:,}", flush=True)
                with EmbeddedStore(root / f"bench-{rows}.lbug", buffer_pool_mb=args.buffer_pool_mb) as embedded:
                    load(embedded, path, args.batch_rows, root / f"rej-e-{rows}")
                    if args.admin_import:
                        admin_import(embedded, root / f"admin-{rows}", args.heap_mb, rows)
                if args.neo4j_max_rows is not None and rows > args.neo4j_max_rows:
                    path.unlink()
                    continue
                with Neo4jStore(server.uri, server.user, server.password) as neo:
                    while neo._read("MATCH (n) RETURN count(n) > 0").scalar():  # the previous size's graph
                        neo._write("MATCH (n) WITH n LIMIT 20000 DETACH DELETE n")
                    load(neo, path, args.batch_rows, root / f"rej-n-{rows}", server.pid)
                path.unlink()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
