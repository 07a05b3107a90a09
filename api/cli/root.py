"""The ``tracegraph`` command line.

Exit codes: 0 success; 2 bad input or usage, the embedded store busy, or the store refusing the credentials (one
line on stderr); 3 the store unreachable or gone mid-command (retry when it is back); 1 internal failure (one line;
set ``TRACEGRAPH_DEBUG=1`` for the traceback).

Command groups load lazily: :data:`COMMANDS` names each top-level command, the module that registers it and the
first paragraph of its help, so ``tracegraph --help`` lists every command without importing one of them (nor
pandas, FastAPI, the stores or the exporters they import). A command's module is imported when it runs or its own
help is asked for. ``tests/cli/test_cli_package.py`` checks the texts here against the commands' own help.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import errno
import importlib
import os
import sys
import threading
import typing
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.main
import typer.models
import typer.utils
from typer import _click
from typer.core import TyperCommand, TyperGroup

from api.cli.common import err
from api.process_memory import keep_arrow_memory

# name -> (module under api.cli that registers it, the first paragraph of its help; None: a hidden alias).
# The order is the order of `tracegraph --help`.
COMMANDS: dict[str, tuple[str, str | None]] = {
    "init": ("store", "Create the schema in the configured store (idempotent)."),
    "stats": ("store", "Count nodes per label and relationships per type (every one, zeros included)."),
    "load": ("load", "Load one file of KIND: valid rows into the store, bad rows (with line and reason) into a "
                     "rejects file."),
    "build-hotspots": ("load", "Write a hotspots.csv from the FBI UCR city table shipped with tracegraph (68 large "
                               "jurisdictions)."),
    "simulate": ("simulate", "Generate a synthetic world calibrated to public ATF figures, with ground truth in "
                             "truth.json."),
    "demo": ("demo", "Run the main job end to end on the embedded store and print what was found and where."),
    "analyze": ("analytics", "Score straw purchasers and dealers, find networks, centrality and corridors; write "
                             "results back."),
    "straw": ("analytics", "The straw-purchaser review queue with the indicators that fired."),
    "communities": ("analytics", "Networks worth reviewing, ranked, each with its reason (--all: the full "
                                 "partition, person by person)."),
    "corridors": ("analytics", "Corridors ranked by significance (observed vs gravity-model expected, shrunk), not "
                               "raw volume."),
    "chokepoints": ("analytics", "Dealers, persons, cities and corridors ranked by the recovered-gun flow their "
                                 "disruption would stop."),
    "path": ("analytics", "Shortest path between two entities (person:, dealer:, firearm:, recovery:, location:)."),
    "search": ("analytics", "Find a person by name, a firearm by serial or a dealer by license number (JSON; the "
                            "same answer as POST /api/v1/search)."),
    "evaluate": ("analytics", "Score the current analysis against a simulator truth file, beside rule baselines."),
    "dealers": ("dealers", "Dealers: anomalies against exposure-adjusted peers (list), dealers near hotspot cities, "
                           "transparency profiles (verified facts and labelled estimates)."),
    "dealer": ("dealers", None),
    "firearms": ("firearms", "Damaged-serial matching, trace chains and serial batches."),
    "stolen": ("stolen", "Lost/stolen firearm reports checked against recoveries."),
    "review": ("reviews", "Record a review decision on a straw-queue item (stored in the graph, audited); prints "
                          "it as JSON."),
    "reviews": ("reviews", "Straw-queue review decisions, newest first, one JSON object per line."),
    "watch": ("alerts", "Watchlists: persons, dealers, networks, firearms, serials, places, corridors."),
    "alerts": ("alerts", "Alerts raised by incremental analyses (newest first)."),
    "trace-requests": ("export", "Write the recoveries not yet traced as a ready-to-submit CSV of ATF Form 3312.1 "
                                 "fields."),
    "report": ("report", "Self-contained HTML (and PDF) reports: corridors and network cases."),
    "export": ("export", "Share: STIX 2.1 bundles (TLP 2.0) and GeoJSON layers."),
    "taxii": ("taxii", "TAXII 2.1: poll partners' collections into the graph."),
    "serve": ("serve", "Serve the HTTP API (this process owns the store while it runs). No access log: the audit "
                       "log records every request without query strings. HTTPS with --tls-cert/--tls-key, or "
                       "behind a TLS-terminating reverse proxy (docs/api.md)."),
    "apikey": ("serve", "API keys for the HTTP API (stored hashed; a new key is printed once)."),
    "retention": ("retention", "Retention of personal data: policy, plan, apply, holds."),
    "subjects": ("retention", "Intelligence subjects on documented reasonable suspicion (28 CFR 23.20)."),
    "evidence": ("evidence", "Evidence chain of custody: credentials, packages, verification, reports."),
    "audit": ("evidence", "The hash-chained audit log."),
    "disseminations": ("disseminations", "The record of every release outside the agency (who, why, when, TLP, "
                                         "objects, file SHA-256), read from the audit chain after verifying it "
                                         "(exit 1 if it was tampered with)."),
    "bloom": ("bloom", "Neo4j Bloom perspective and Browser guide, generated from the schema."),
    "schema": ("schema", "The graph schema and what is generated from it."),
    "store": ("store", "The store file itself: migrate a Kùzu-era store to LadybugDB; checkpoint it."),
    "neo4j": ("neo4j", "A local Neo4j 5 server (from Maven Central jars, no Docker) for the neo4j store."),
}


#: commands that leave as soon as they succeed (:func:`_leave`): all they do is done when they return (the store
#: closed, its day committed to its log; files closed by their ``with``; nothing of theirs is written later). The
#: interpreter's teardown after a national day's ``load day`` took 0.5-0.8 s wall (0.4-0.5 CPU s) freeing the
#: analysis' objects one by one (docs/performance.md, load29). Their store's close leaves its engine to the exit
#: too (graph/embedded_log.py ``ends_with_process``): destroying it only frees memory, 0.16-0.2 s (cmd31)
QUICK_EXIT = frozenset({"load"})


def load_module_commands(module: str) -> dict[str, _click.Command]:
    """Import ``api.cli.<module>`` and return the click commands its ``register(app)`` adds, by name."""
    registered = typer.Typer()
    importlib.import_module(f"api.cli.{module}").register(registered)
    return dict(typer.main.get_group(registered).commands)


class LazyGroup(TyperGroup):
    """The root group: lists :data:`COMMANDS` from their help texts and imports a command's module on first use."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._listing = False

    def list_commands(self, ctx: _click.Context) -> list[str]:
        return [*self.commands, *(name for name in COMMANDS if name not in self.commands)]

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        if cmd_name in self.commands or cmd_name not in COMMANDS:
            return self.commands.get(cmd_name)
        module, help_text = COMMANDS[cmd_name]
        if self._listing:  # the root help: name and help only, nothing imported
            return TyperCommand(cmd_name, help=help_text, hidden=help_text is None)
        for name, command in load_module_commands(module).items():
            self.commands.setdefault(name, command)
        return self.commands.get(cmd_name)

    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def resolve_command(self, ctx: _click.Context, args: list[str]
                        ) -> tuple[str | None, _click.Command | None, list[str]]:
        if args and args[0] not in self.commands and args[0] not in COMMANDS:  # "Did you mean …?" over all names
            self.commands.update({name: _Placeholder(name) for name in COMMANDS if name not in self.commands})
            try:
                return super().resolve_command(ctx, args)
            finally:
                for name in COMMANDS:
                    if isinstance(self.commands.get(name), _Placeholder):
                        del self.commands[name]
        return super().resolve_command(ctx, args)


class _Placeholder(TyperCommand):
    """A name in :data:`COMMANDS` whose module is not imported yet (only while a typo is matched)."""


app = typer.Typer(
    name="tracegraph",
    help="Network intelligence for firearms trafficking: traces in, networks, corridors and evidence out.",
    cls=LazyGroup,
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
    ctx.obj = overrides  # api.cli.common.settings() builds Settings from these when a command first asks


def _command(args: list[str]) -> str | None:
    """The command ``args`` name: the first word after the global options and their values. Which options take a
    value is read from :func:`_global`'s own declarations (all but flags), so one added there is skipped here too."""
    valued = {decl for meta in typer.utils.get_params_from_function(_global).values()
              if isinstance(meta.default, typer.models.OptionInfo)
              and bool not in (meta.annotation, *typing.get_args(meta.annotation))
              for decl in meta.default.param_decls or ()}
    rest = iter(args)
    for arg in rest:
        if arg in valued:
            next(rest, None)
        elif not arg.startswith("-"):
            return arg
    return None


def main() -> None:
    """Console-script entry point: run the app and turn errors into one line and an exit code."""
    command = _command(sys.argv[1:])
    if command != "serve":  # a command that exits when done keeps Arrow's freed memory (before pyarrow loads); the
        keep_arrow_memory()  # server gives it back
    quick = command in QUICK_EXIT and _called_by_program()
    if quick:  # its store's engine is left for the exit to free (these commands import the store anyway)
        from graph.embedded_log import ends_with_process

        ends_with_process()
    try:
        code = app(standalone_mode=False)  # click returns (not raises) the code of a typer.Exit here
        if isinstance(code, int) and code:
            sys.exit(code)
        if quick:
            _leave()
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(1)
    except Exception as exc:
        _fail(exc)
    finally:
        if quick:  # not left at once after all: the engines left for the exit are closed as a close does
            from graph.embedded_log import close_left

            close_left()


def _called_by_program() -> bool:
    """Whether :func:`main` was called by the program's own top level (the console script, ``python -c``), which
    ends when it returns; not by a caller that goes on after it (a test running the command in its process:
    tests/cli_run.py)."""
    return sys._getframe(2).f_globals.get("__name__") == "__main__"  # (0: here, 1: main, 2: its caller)


def _leave() -> None:
    """End the process now, after a command of :data:`QUICK_EXIT` succeeded: the exit handlers run (``atexit``:
    logging's, coverage's, temporary folders'), Python's and C's output buffers are flushed, and the interpreter's
    teardown, which only frees memory, is left to the kernel. Returns instead (the interpreter's own exit follows)
    when a thread other than daemons is still running, whose end that exit waits for, or when output cannot be
    flushed, which that exit reports."""
    if any(thread.is_alive() and not thread.daemon for thread in threading.enumerate()
           if thread is not threading.main_thread()):
        return
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe or stream
        return
    with contextlib.suppress(OSError, AttributeError):  # (C's stdio: what a library printed)
        ctypes.CDLL(None).fflush(None)
    os._exit(0)


def _fail(exc: Exception) -> None:
    """One line and the exit code for what a command raised (graph.errors is imported here, not for --help)."""
    show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
    if callable(show) and isinstance(code, int):  # typer's usage errors carry their own exit code (2)
        show()
        sys.exit(code)
    from graph.errors import StoreFull, TracegraphError

    if isinstance(exc, StoreFull):
        err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        sys.stdout.flush()
        sys.stderr.flush()
        # the engine aborts (C++ terminate) or spins when its objects are destroyed on a full disk: leave now;
        # everything committed is on disk and the next open recovers it
        os._exit(exc.exit_code)
    if isinstance(exc, OSError):
        if exc.errno != errno.ENOSPC:
            raise exc
        err.print(f"[red]error:[/red] no space left on device writing {exc.filename or 'a file'}", highlight=False)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(2)
    if isinstance(exc, TracegraphError):
        err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    if os.environ.get("TRACEGRAPH_DEBUG"):
        raise exc
    err.print(f"[red]internal error:[/red] {type(exc).__name__}: {exc}", highlight=False, soft_wrap=True)
    sys.exit(1)
