"""What every command module shares: the settings from the global options, consoles, JSON output."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console

from api.settings import Settings
from graph.store import GraphStore

# emoji=False: rich would turn ":key:" in data (did:key:z6Mk…) into an emoji; data cells are also escaped
err = Console(stderr=True, emoji=False)
out = Console(emoji=False)


def settings(ctx: typer.Context) -> Settings:
    """The Settings built once from the global options and TRACEGRAPH_* variables."""
    obj = ctx.find_root().obj
    if not isinstance(obj, Settings):  # a command module invoked outside the main app (tests)
        obj = Settings()
        ctx.find_root().obj = obj
    return obj


def say_missing(store: GraphStore, *needs: str) -> bool:
    """Print the one line saying what the store lacks for a command (see :data:`loaders.kinds.NEEDS`); True if
    something is missing. Commands call it when their answer is empty."""
    from loaders.kinds import missing

    line = missing(store.counts(), *needs)
    if line:
        err.print(line, highlight=False)
    return line is not None


def emit_json(payload: Any) -> None:
    """One JSON object on one stdout line (machine-readable output is always the last stdout line)."""
    print(json.dumps(payload, sort_keys=True, default=str))
