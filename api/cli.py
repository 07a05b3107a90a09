"""The ``tracegraph`` command line.

Exit codes: 0 success; 2 bad input or usage, the embedded store busy, or the store refusing the credentials (one
line on stderr); 3 the store unreachable or gone mid-command (retry when it is back); 1 internal failure (one line;
set ``TRACEGRAPH_DEBUG=1`` for the traceback).
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from api import (
    cli_alerts,
    cli_analytics,
    cli_api,
    cli_bloom,
    cli_dealers,
    cli_demo,
    cli_evidence,
    cli_export,
    cli_firearms,
    cli_load,
    cli_neo4j,
    cli_report,
    cli_simulate,
    cli_stolen,
    cli_store,
    cli_taxii,
)
from api.cli_common import emit_json, err, out, settings
from api.settings import Settings
from graph.errors import StoreFull, TracegraphError

app = typer.Typer(
    name="tracegraph",
    help="Network intelligence for firearms trafficking: traces in, networks, corridors and evidence out.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
schema_app = typer.Typer(help="The graph schema and what is generated from it.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")

@app.callback()
def _global(
    ctx: typer.Context,
    db: Annotated[Path | None, typer.Option("--db", envvar="TRACEGRAPH_DB", show_envvar=True,
                                            help="embedded store file (default ./data/tracegraph.lbug)")] = None,
    store: Annotated[str | None, typer.Option("--store", envvar="TRACEGRAPH_STORE", show_envvar=True,
                                              help="embedded (LadybugDB file, default) | neo4j")] = None,
) -> None:
    overrides: dict[str, Any] = {}
    if db is not None:
        overrides["db"] = db
    if store is not None:
        if store not in ("embedded", "neo4j", "kuzu"):
            raise typer.BadParameter("use embedded or neo4j", param_hint="--store")
        overrides["store"] = store
    ctx.obj = Settings(**overrides)


@app.command()
def init(ctx: typer.Context) -> None:
    """Create the schema in the configured store (idempotent)."""
    conf = settings(ctx)
    with conf.open_store() as store:
        store.init_schema()
    where = conf.db if conf.store == "embedded" else conf.neo4j_uri
    err.print(f"schema ready in {conf.store} store {where}")


@app.command()
def stats(ctx: typer.Context,
          as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False) -> None:
    """Count nodes per label and relationships per type (every one, zeros included)."""
    with settings(ctx).open_store() as store:
        counts = store.counts()
    if as_json:
        emit_json(counts)
        return
    for section in ("nodes", "relationships"):
        table = Table(title=section)
        table.add_column("name")
        table.add_column("count", justify="right")
        for name, count in counts[section].items():
            table.add_row(name, f"{count:,}")
        out.print(table)


@schema_app.command("ddl")
def schema_ddl(backend: Annotated[str, typer.Option(help="embedded | neo4j")] = "embedded") -> None:
    """Print the DDL generated from the schema."""
    from graph.ddl import embedded_ddl, neo4j_ddl, render

    if backend not in ("embedded", "neo4j"):
        raise typer.BadParameter("use embedded or neo4j", param_hint="--backend")
    sys.stdout.write(render(embedded_ddl() if backend == "embedded" else neo4j_ddl()))


@schema_app.command("docs")
def schema_docs(out_file: Annotated[Path | None, typer.Option("--out", help="write here instead of stdout")] = None
                ) -> None:
    """Print (or write) docs/graph-model.md, generated from the schema."""
    from graph.docs import graph_model_markdown

    text = graph_model_markdown()
    if out_file:
        out_file.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


# --- command groups: each module registers its commands on `app` (one line each) ---------------------------
cli_export.register(app)
cli_taxii.register(app)
cli_simulate.register(app)
cli_analytics.register(app)
cli_demo.register(app)
cli_evidence.register(app)
cli_load.register(app)
cli_api.register(app)
cli_bloom.register(app)
cli_firearms.register(app)
cli_dealers.register(app)
cli_stolen.register(app)
cli_report.register(app)
cli_store.register(app)
cli_neo4j.register(app)
cli_alerts.register(app)


def main() -> None:
    """Console-script entry point: run the app and turn errors into one line and an exit code."""
    try:
        code = app(standalone_mode=False)  # click returns (not raises) the code of a typer.Exit here
        if isinstance(code, int) and code:
            sys.exit(code)
    except StoreFull as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        sys.stdout.flush()
        sys.stderr.flush()
        # the engine aborts (C++ terminate) or spins when its objects are destroyed on a full disk: leave now;
        # everything committed is on disk and the next open recovers it
        os._exit(exc.exit_code)
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
        err.print(f"[red]error:[/red] no space left on device writing {exc.filename or 'a file'}", highlight=False)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(2)
    except TracegraphError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(1)
    except Exception as exc:
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):  # typer's usage errors carry their own exit code (2)
            show()
            sys.exit(code)
        if os.environ.get("TRACEGRAPH_DEBUG"):
            raise
        err.print(f"[red]internal error:[/red] {type(exc).__name__}: {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
