"""``tracegraph demo``: the main job end to end on the embedded store, growing as the product grows.

Each step is a function that takes the demo context and returns rows for the closing summary (what was found and
where each file is). A step that fails stops the demo with one clear line; nothing is silently skipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from api.cli_common import err, out
from graph.kuzu_store import KuzuStore


@dataclass
class DemoContext:
    out_dir: Path
    scale: str
    seed: int
    store: KuzuStore
    summary: list[tuple[str, str, str]] = field(default_factory=list)  # (step, finding, where)


Step = Callable[[DemoContext], None]


def _init(ctx: DemoContext) -> None:
    ctx.store.init_schema()
    ctx.summary.append(("init", "schema created", str(ctx.store.path)))


def _stats(ctx: DemoContext) -> None:
    counts = ctx.store.counts()
    nodes = sum(counts["nodes"].values())
    rels = sum(counts["relationships"].values())
    ctx.summary.append(("stats", f"{nodes:,} nodes, {rels:,} relationships", str(ctx.store.path)))


STEPS: list[tuple[str, Step]] = [("init", _init), ("stats", _stats)]


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        out_dir: Annotated[Path, typer.Option("--out", help="where the demo writes its store and products")] = Path(
            "demo-out"),
        scale: Annotated[str, typer.Option(help="small | state")] = "small",
        seed: Annotated[int, typer.Option(help="seed of the simulated world")] = 7,
    ) -> None:
        """Run the main job end to end on the embedded store and print what was found and where."""
        if scale not in ("small", "state"):
            raise typer.BadParameter("use small or state", param_hint="--scale")
        out_dir.mkdir(parents=True, exist_ok=True)
        db = out_dir / "tracegraph.kuzu"
        started = time.perf_counter()
        with KuzuStore(db) as store:
            ctx = DemoContext(out_dir=out_dir, scale=scale, seed=seed, store=store)
            for name, step in STEPS:
                t0 = time.perf_counter()
                err.print(f"[bold]{name}[/bold] ...")
                step(ctx)
                err.print(f"  done in {time.perf_counter() - t0:.1f} s")
        table = Table(title=f"tracegraph demo ({scale}, seed {seed}) in {time.perf_counter() - started:.1f} s")
        for column in ("step", "found", "where"):
            table.add_column(column)
        for row in ctx.summary:
            table.add_row(*row)
        out.print(table)
