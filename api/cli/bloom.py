"""``tracegraph bloom perspective|guide``: the Neo4j Bloom perspective and Browser guide, generated from the schema.

Neither command opens the store: both outputs are pure functions of the schema and the named Cypher statements.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import err
from graph.errors import InvalidInput

bloom_app = typer.Typer(help="Neo4j Bloom perspective and Browser guide, generated from the schema.",
                        no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(bloom_app, name="bloom")


def _write(text: str, out_file: Path | None, what: str) -> None:
    if out_file is None:
        sys.stdout.write(text)
        return
    if out_file.is_dir():
        raise InvalidInput(f"--out {out_file} is a directory; name a file")
    if not out_file.parent.is_dir():
        raise InvalidInput(f"--out: directory {out_file.parent} does not exist")
    out_file.write_text(text, encoding="utf-8")
    err.print(f"{what} written to {out_file} ({len(text.encode('utf-8')):,} bytes)")


@bloom_app.command("perspective")
def perspective_command(
    out_file: Annotated[Path | None, typer.Option("--out", help="write here instead of stdout")] = None,
) -> None:
    """Write the Bloom perspective JSON (import it in Bloom: Perspectives > Import)."""
    from exports.bloom import perspective, render

    _write(render(perspective()), out_file, "Bloom perspective")


@bloom_app.command("guide")
def guide_command(
    out_file: Annotated[Path | None, typer.Option("--out", help="write here instead of stdout")] = None,
) -> None:
    """Write the Neo4j Browser guide HTML (open it with :play <url-of-the-file>)."""
    from exports.bloom_guide import guide

    _write(guide(), out_file, "Browser guide")
