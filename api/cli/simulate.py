"""``tracegraph simulate``: write a calibrated synthetic world (input files + truth.json) into a folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from api.cli.common import emit_json, err, out
from graph.errors import InvalidInput


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)


def simulate(
    scale: Annotated[str, typer.Option(help="small (~5k traces) | state (~50k) | national (~1M)")] = "small",
    seed: Annotated[int, typer.Option(help="random seed: same seed, same bytes", min=0)] = 0,
    out_dir: Annotated[Path, typer.Option("--out", help="folder to write the files into (created if missing)")] = Path(
        "data/simulated"),
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON summary line")] = False,
) -> None:
    """Generate a synthetic world calibrated to public ATF figures, with ground truth in truth.json."""
    from loaders.synthetic import SCALES
    from loaders.synthetic import simulate as run_simulation

    if scale not in SCALES:
        raise InvalidInput(f"unknown scale {scale!r}: use one of {', '.join(SCALES)}")
    err.print(f"simulating scale={scale} seed={seed} into {out_dir} ...")
    result = run_simulation(scale, seed, out_dir)
    measured = result.measured
    if as_json:
        emit_json({"out": str(result.out_dir), "rows": result.rows, "expected_rejects": result.expected_rejects,
                   "seconds": round(result.seconds, 2),
                   "measured": {k: v for k, v in measured.items() if k != "out_of_state_share"}})
        return
    table = Table(title=f"synthetic world in {result.out_dir}")
    table.add_column("file")
    table.add_column("rows", justify="right")
    table.add_column("malformed on purpose", justify="right")
    for name, rows in result.rows.items():
        table.add_row(name, f"{rows:,}", str(result.expected_rejects.get(name, 0)))
    out.print(table)
    out.print(f"time-to-crime <=1y {measured['ttc_share_within_1_year']:.1%}, <=3y "
              f"{measured['ttc_share_within_3_years']:.1%}, mean {measured['ttc_mean_years']:.1f} y; top "
              f"{measured['top_dealer_fraction']:.1%} of dealers hold {measured['top_dealer_trace_share']:.1%} of "
              f"traces; {result.seconds:.1f} s")
