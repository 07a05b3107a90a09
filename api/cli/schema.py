"""``tracegraph schema ddl|docs``: the graph schema and what is generated from it (neither opens the store)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

schema_app = typer.Typer(help="The graph schema and what is generated from it.", no_args_is_help=True)


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


def register(app: typer.Typer) -> None:
    app.add_typer(schema_app, name="schema")
