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

from api.cli import (
    alerts,
    analytics,
    bloom,
    dealers,
    demo,
    evidence,
    export,
    firearms,
    load,
    neo4j,
    report,
    schema,
    serve,
    simulate,
    stolen,
    store,
    taxii,
)
from api.cli.common import err
from api.settings import Settings
from graph.errors import StoreFull, TracegraphError

app = typer.Typer(
    name="tracegraph",
    help="Network intelligence for firearms trafficking: traces in, networks, corridors and evidence out.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

@app.callback()
def _global(
    ctx: typer.Context,
    db: Annotated[Path | None, typer.Option("--db", envvar="TRACEGRAPH_DB", show_envvar=True,
                                            help="embedded store file (default ./data/tracegraph.lbug)")] = None,
    backend: Annotated[str | None, typer.Option("--store", envvar="TRACEGRAPH_STORE", show_envvar=True,
                                                help="embedded (LadybugDB file, default) | neo4j")] = None,
) -> None:
    overrides: dict[str, Any] = {}
    if db is not None:
        overrides["db"] = db
    if backend is not None:
        if backend not in ("embedded", "neo4j", "kuzu"):
            raise typer.BadParameter("use embedded or neo4j", param_hint="--store")
        overrides["store"] = backend
    ctx.obj = Settings(**overrides)


# --- command groups: each module registers its commands on `app` (one line each) ---------------------------
store.register(app)
schema.register(app)
export.register(app)
taxii.register(app)
simulate.register(app)
analytics.register(app)
demo.register(app)
evidence.register(app)
load.register(app)
serve.register(app)
bloom.register(app)
firearms.register(app)
dealers.register(app)
stolen.register(app)
report.register(app)
neo4j.register(app)
alerts.register(app)


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
