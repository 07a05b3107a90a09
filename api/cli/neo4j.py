"""``tracegraph neo4j start|stop|status``: a local Neo4j 5.26 server from Maven Central jars (no Docker).

``start`` fetches the jars once with Maven (``deploy/neo4j/pom.xml``), writes a loopback-only ``neo4j.conf`` into
the home folder, sets a random password before the first start, starts the server in the background and prints the
Browser URL, the Bolt URI and the credentials (and the ``TRACEGRAPH_*`` lines that point tracegraph at it). The
home keeps the data, so ``stop`` then ``start`` finds the same graph with the same password.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import emit_json, err, out
from graph.errors import InvalidInput

neo4j_app = typer.Typer(help="A local Neo4j 5 server (from Maven Central jars, no Docker) for the neo4j store.",
                        no_args_is_help=True)

Home = Annotated[Path, typer.Option("--home", envvar="TRACEGRAPH_NEO4J_HOME",
                                    help="server folder: conf, data, logs, plugins")]
DEFAULT_HOME = Path("data/neo4j")


def register(app: typer.Typer) -> None:
    app.add_typer(neo4j_app, name="neo4j")


@neo4j_app.command("start")
def start(home: Home = DEFAULT_HOME,
          heap_mb: Annotated[int | None, typer.Option("--heap-mb", min=256,
                                                      help="JVM heap (default: sized for the machine)")] = None,
          pagecache_mb: Annotated[int | None, typer.Option(
              "--pagecache-mb", min=64, help="page cache (default: sized for the machine)")] = None,
          as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
          gds: Annotated[bool, typer.Option("--gds", help="with the Graph Data Science plugin (built from Maven "
                                                          "Central modules once), for analyze --engine gds")] = False,
          ) -> None:
    """Start the server in the background and print where it answers and how to log in."""
    from graph.neo4j_server import LocalNeo4j

    heap, pagecache = _memory(heap_mb, pagecache_mb)
    server = LocalNeo4j(home, heap_mb=heap, pagecache_mb=pagecache, gds=gds)
    err.print(f"starting Neo4j in {server.home} (the first start fetches the jars with Maven)…")
    server.start()
    state = server.state
    if as_json:
        emit_json({"browser": state.browser_url, "uri": state.uri, "user": state.user, "password": state.password,
                   "home": state.home, "pid": state.pid})
        return
    out.print(f"Neo4j Browser  {state.browser_url}\nBolt URI       {state.uri}\nuser           {state.user}\n"
              f"password       {state.password}", highlight=False)
    out.print(f"\nexport TRACEGRAPH_STORE=neo4j TRACEGRAPH_NEO4J_URI={state.uri} "
              f"TRACEGRAPH_NEO4J_USER={state.user} TRACEGRAPH_NEO4J_PASSWORD={state.password}\n"
              f"stop it with: tracegraph neo4j stop --home {home}", highlight=False, soft_wrap=True)


@neo4j_app.command("stop")
def stop(home: Home = DEFAULT_HOME) -> None:
    """Stop the server started from HOME (a clean shutdown; the data stays)."""
    from graph.neo4j_server import LocalNeo4j, read_state

    if read_state(home) is None:
        raise InvalidInput(f"no local Neo4j was started from {home}")
    server = LocalNeo4j(home)
    if not server.running():
        err.print(f"Neo4j from {home} is not running")
        return
    server.stop()
    err.print(f"Neo4j from {home} stopped")


@neo4j_app.command("status")
def status(home: Home = DEFAULT_HOME) -> None:
    """Whether the server from HOME runs, and where."""
    from graph.neo4j_server import LocalNeo4j, read_state

    if read_state(home) is None:
        raise InvalidInput(f"no local Neo4j was started from {home}")
    server = LocalNeo4j(home)
    running = server.running()
    emit_json({"running": running, "browser": server.state.browser_url, "uri": server.uri,
               "pid": server.pid if running else None})


@neo4j_app.command("import")
def import_(ctx: typer.Context, home: Home = DEFAULT_HOME,
            source: Annotated[Path | None, typer.Option(
                "--from", help="the embedded store to import (default: the configured TRACEGRAPH_DB)")] = None,
            replace: Annotated[bool, typer.Option(
                "--replace", help="overwrite the database of a server started from HOME before")] = False,
            csv_dir: Annotated[Path | None, typer.Option(
                "--csv-dir", help="where the CSV files go (default HOME/import/tracegraph)")] = None,
            threads: Annotated[int, typer.Option("--threads", min=1, help="neo4j-admin import threads")] = 2,
            max_off_heap: Annotated[str, typer.Option(
                "--max-off-heap-memory", help="neo4j-admin import's off-heap memory cap, e.g. 1G")] = "1G",
            heap_mb: Annotated[int | None, typer.Option("--heap-mb", min=256,
                                                        help="JVM heap (default: sized for the machine)")] = None,
            pagecache_mb: Annotated[int | None, typer.Option(
                "--pagecache-mb", min=64, help="page cache (default: sized for the machine)")] = None,
            as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False) -> None:
    """Initial load: the graph in an embedded store (built with `tracegraph load`, the fast path) into the local
    server's database with neo4j-admin database import (offline), then start the server and create the constraints.
    Counts are checked per label and type. Later loads go through `tracegraph load --store neo4j`."""
    from api.cli.common import settings
    from graph.embedded_store import EmbeddedStore
    from graph.neo4j_import import import_store
    from graph.neo4j_server import LocalNeo4j

    path = source or settings(ctx).db
    if not path.exists():
        raise InvalidInput(f"no store at {path} to import (build it with `tracegraph load`, or pass --from)")
    heap, pagecache = _memory(heap_mb, pagecache_mb)
    server = LocalNeo4j(home, heap_mb=heap, pagecache_mb=pagecache)
    err.print(f"importing {path} into the Neo4j database in {server.home} with neo4j-admin …")
    with EmbeddedStore(path, read_only=True) as store:
        report = import_store(store, server, csv_dir or server.home / "import" / "tracegraph", replace=replace,
                              threads=threads, max_off_heap=max_off_heap)
    state = server.state
    if as_json:
        emit_json({**report.as_dict(), "browser": state.browser_url, "uri": state.uri, "user": state.user,
                   "password": state.password, "home": state.home, "pid": state.pid})
        return
    err.print(f"imported {report.nodes:,} nodes and {report.relationships:,} relationships (counts equal per label "
              f"and type): CSV {report.export_s:.1f} s, neo4j-admin import {report.import_s:.1f} s, constraints and "
              f"indexes {report.schema_s:.1f} s")
    out.print(f"Neo4j Browser  {state.browser_url}\nBolt URI       {state.uri}\nuser           {state.user}\n"
              f"password       {state.password}", highlight=False)
    out.print(f"\nexport TRACEGRAPH_STORE=neo4j TRACEGRAPH_NEO4J_URI={state.uri} "
              f"TRACEGRAPH_NEO4J_USER={state.user} TRACEGRAPH_NEO4J_PASSWORD={state.password}\n"
              f"stop it with: tracegraph neo4j stop --home {home}", highlight=False, soft_wrap=True)


def _memory(heap_mb: int | None, pagecache_mb: int | None) -> tuple[int, int]:
    """The sizes given, else those :func:`graph.neo4j_server.memory_for_machine` picks."""
    from graph.neo4j_server import memory_for_machine

    heap, pagecache = memory_for_machine()
    return heap_mb or heap, pagecache_mb or pagecache
