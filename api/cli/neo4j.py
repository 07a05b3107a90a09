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
          heap_mb: Annotated[int, typer.Option("--heap-mb", min=256, help="JVM heap")] = 1024,
          pagecache_mb: Annotated[int, typer.Option("--pagecache-mb", min=64, help="page cache")] = 512,
          as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
          gds: Annotated[bool, typer.Option("--gds", help="with the Graph Data Science plugin (built from Maven "
                                                          "Central modules once), for analyze --engine gds")] = False,
          ) -> None:
    """Start the server in the background and print where it answers and how to log in."""
    from graph.neo4j_server import LocalNeo4j

    server = LocalNeo4j(home, heap_mb=heap_mb, pagecache_mb=pagecache_mb, gds=gds)
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
