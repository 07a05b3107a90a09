"""What every command module shares: the settings from the global options, consoles, JSON output.

Imported by ``tracegraph --help``: keep it light (no pandas, stores or pydantic-settings at import)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from api.settings import Settings
    from graph.store import GraphStore

# emoji=False: rich would turn ":key:" in data (did:key:z6Mk…) into an emoji; data cells are also escaped.
# soft_wrap off a terminal: piped or logged, a line stays one line (rich would break it at 80 columns, a rejects
# file's path or a run id in two); tables keep their width either way
err = Console(stderr=True, emoji=False, soft_wrap=not sys.stderr.isatty())
out = Console(emoji=False, soft_wrap=not sys.stdout.isatty())


def settings(ctx: typer.Context) -> Settings:
    """The Settings built once from the global options and TRACEGRAPH_* variables (on the first command that
    asks: the root callback leaves the options, a dict, in ``ctx.obj``)."""
    from api.settings import Settings

    root = ctx.find_root()
    if not isinstance(root.obj, Settings):  # the global options, or None (a command module invoked alone: tests)
        root.obj = Settings(**(root.obj or {}))
    return root.obj


def say_missing(store: GraphStore, *needs: str) -> bool:
    """Print the one line saying what the store lacks for a command (see :data:`loaders.kinds.NEEDS`); True if
    something is missing. Commands call it when their answer is empty."""
    from loaders.domain.needs import missing

    line = missing(store.counts(), *needs)
    if line:
        err.print(line, highlight=False)
    return line is not None


def emit_json(payload: Any) -> None:
    """One JSON object on one stdout line (machine-readable output is always the last stdout line), by the rules
    of :mod:`api.cli.output`."""
    from api.cli.output import emit_document

    emit_document(payload, sort_keys=True)
