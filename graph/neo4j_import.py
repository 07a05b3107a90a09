"""An initial load of a whole graph into Neo4j with ``neo4j-admin database import full`` (offline, bulk).

Through Bolt every node and relationship is a transactional write (index seeks, locks, a transaction log): fine for
the daily increments, slow for a first national load. ``neo4j-admin database import`` writes the store files of a
stopped, empty database directly from CSV. :func:`import_store` takes a graph the loaders built in any store
(normally the embedded one, where the loaders are fastest), writes one CSV per label and per relationship type and
pair of endpoint labels in the admin tool's format (one ID space per label, the label's key as the ID, declared
types in the header), runs the tool on the local server's database (:class:`graph.neo4j_server.LocalNeo4j`), starts
the server, creates the constraints and indexes (``init_schema``) and checks that every label and type holds as many
nodes and relationships as the source. Later loads go through the loaders into the running server as usual.

For a server tracegraph does not run (a cluster, Aura, another machine), :func:`write_import_csv` writes the files
and :func:`admin_arguments` gives the arguments to run ``neo4j-admin database import full`` there.
"""

from __future__ import annotations

import resource
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from graph.errors import InvalidInput, StoreUnavailable
from graph.neo4j_server import LocalNeo4j
from graph.schema import SCHEMA, Schema
from graph.store import GraphStore

DATABASE = "neo4j"  # the default database: the only one Neo4j Community serves

# the admin tool's CSV header types for the schema's property types
ADMIN_TYPES = {"STRING": "string", "INT64": "long", "DOUBLE": "double", "BOOL": "boolean", "DATE": "date",
               "TIMESTAMP": "localdatetime"}


@dataclass(frozen=True)
class CsvFile:
    kind: str  # "nodes" | "relationships"
    name: str  # label or relationship type
    path: Path
    rows: int


@dataclass
class ImportReport:
    """What an import did, with the time of each step (wall seconds; CPU of the admin tool's JVM)."""

    nodes: int
    relationships: int
    export_s: float
    import_s: float
    import_cpu_s: float
    schema_s: float
    counts: dict[str, dict[str, int]] = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _csv_columns(table: pa.Table) -> pa.Table:
    """Values as the admin tool reads them: timestamps as ISO local date-times to the microsecond."""
    columns = []
    for column in table.columns:
        if pa.types.is_timestamp(column.type):
            column = pc.strftime(column, format="%Y-%m-%dT%H:%M:%S")  # Arrow adds the fraction (.ffffff)
        columns.append(column)
    return pa.table(columns, names=[str(i) for i in range(table.num_columns)])


def _write(path: Path, header: list[str], table: pa.Table) -> None:
    # the header is written by hand: the tool reads `name:type` and `:ID(Label)` unquoted
    with path.open("wb") as handle:
        handle.write((",".join(header) + "\n").encode("utf-8"))
        pcsv.write_csv(_csv_columns(table), handle, pcsv.WriteOptions(include_header=False))


def write_import_csv(store: GraphStore, folder: Path, schema: Schema = SCHEMA) -> list[CsvFile]:
    """Every label and every relationship type (per pair of endpoint labels) of ``store`` as CSV files in
    ``folder`` in ``neo4j-admin database import`` format; empty ones are skipped."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for node in schema.nodes:
        props = [p for p in node.properties if p.name != node.key]
        table = store.node_table(node.name, tuple(p.name for p in props))
        if table.num_rows == 0:
            continue
        header = [f"{node.key}:ID({node.name})"] + [f"{p.name}:{ADMIN_TYPES[p.type]}" for p in props]
        path = folder / f"nodes-{node.name}.csv"
        _write(path, header, table)
        files.append(CsvFile("nodes", node.name, path, table.num_rows))
    for rel in schema.relationships:
        for source, target in rel.endpoints:
            table = store.edge_list(rel.name, source, target, tuple(p.name for p in rel.properties))
            if table.num_rows == 0:
                continue
            header = [f":START_ID({source})", f":END_ID({target})"] + [f"{p.name}:{ADMIN_TYPES[p.type]}"
                                                                      for p in rel.properties]
            path = folder / f"relationships-{rel.name}-{source}-{target}.csv"
            _write(path, header, table)
            files.append(CsvFile("relationships", rel.name, path, table.num_rows))
    return files


def admin_arguments(files: list[CsvFile], *, threads: int, max_off_heap: str,
                    report_file: Path | None = None) -> list[str]:
    """The arguments of ``neo4j-admin database import full`` for ``files`` (the database name first: after the
    file lists it would be read as one more file)."""
    arguments = ["database", "import", "full", DATABASE, "--overwrite-destination", "--multiline-fields=true",
                 "--bad-tolerance=0", f"--threads={threads}", f"--max-off-heap-memory={max_off_heap}"]
    if report_file is not None:
        arguments.append(f"--report-file={report_file}")
    return arguments + [f"--{f.kind}={f.name}={f.path}" for f in files]


def database_exists(home: Path) -> bool:
    return (Path(home) / "data" / "databases" / DATABASE).is_dir()


def import_store(source: GraphStore, server: LocalNeo4j, work: Path, *, replace: bool = False,
                 threads: int = 2, max_off_heap: str = "1G", schema: Schema = SCHEMA) -> ImportReport:
    """Replace the (stopped) local server's database with the graph in ``source``; the server runs afterwards.

    ``replace`` must be true if the server's database already exists from an earlier start (its content is lost:
    the tool is for an initial load). CSV files go to ``work`` (left in place)."""
    if server.running():
        raise InvalidInput(f"Neo4j from {server.home} is running: stop it first (tracegraph neo4j stop); "
                           f"neo4j-admin import writes a stopped database")
    if database_exists(server.home) and not replace:
        raise InvalidInput(f"the database {DATABASE!r} in {server.home} exists: --replace overwrites it (the import is "
                           f"for an initial load; later loads go through `tracegraph load`)")
    started = time.perf_counter()
    files = write_import_csv(source, work, schema)
    export_s = time.perf_counter() - started
    server.prepare()  # the home, its conf and (before a first start) the password; the first start after the import
    # creates the system database and serves the imported one (a start and stop before the import cost ~16 CPU s)
    command = server.admin_command(*admin_arguments(files, threads=threads, max_off_heap=max_off_heap,
                                                    report_file=work / "import.report"))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=server.admin_env(),  # noqa: S603
                          cwd=server.home)
    import_s = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    import_cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        lines = [x for x in (done.stderr + done.stdout).splitlines() if x.strip()]
        reason = next((x for x in lines if "rror" in x or "xception" in x), lines[-1] if lines else "no output")
        raise StoreUnavailable(f"neo4j-admin database import failed (exit {done.returncode}): {reason.strip()[:300]}")
    server.start()
    from graph.neo4j_store import Neo4jStore

    with Neo4jStore(server.uri, server.user, server.password, schema=schema) as neo:
        began = time.perf_counter()
        neo.init_schema()
        schema_s = time.perf_counter() - began
        counts = neo.counts()
    expected = source.counts()
    if counts != expected:
        differ = sorted(f"{name} {expected[part].get(name, 0)} -> {n}" for part in ("nodes", "relationships")
                        for name, n in counts[part].items() if n != expected[part].get(name, 0))
        raise StoreUnavailable(f"the imported database differs from the source: {', '.join(differ)[:300]}")
    return ImportReport(sum(counts["nodes"].values()), sum(counts["relationships"].values()), export_s, import_s,
                        import_cpu_s, schema_s, counts)
