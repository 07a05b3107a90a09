"""Lost/stolen records checked against recoveries: ``tracegraph stolen hits``."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import pandas as pd
import typer

from api.cli.common import err, say_missing, settings
from exports.csv_safe import table_text
from graph.errors import InvalidInput

FORMATS = ("csv", "json")
HIT_FIELDS = ("trace_id", "recovery_date", "recovery_city", "recovery_state", "recovery_country", "report_id",
              "reported_date", "reporter_kind", "reporter", "reporter_dealer_key", "report_country", "source_form",
              "days_report_to_recovery", "reported_before_recovery", "manufacturer", "model", "serial_number")


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if hasattr(value, "isoformat"):
        return str(value.isoformat())[:10]
    if hasattr(value, "item"):
        return value.item()
    return value


def _emit(frame: pd.DataFrame, fmt: str) -> None:
    rows = [{c: _plain(v) for c, v in zip(HIT_FIELDS, values, strict=True)}
            for values in frame[list(HIT_FIELDS)].itertuples(index=False)]
    if fmt == "json":
        print(json.dumps(rows, default=str))
        return
    sys.stdout.write(table_text(list(HIT_FIELDS), rows))


def register(app: typer.Typer) -> None:
    stolen = typer.Typer(help="Lost/stolen firearm reports checked against recoveries.", no_args_is_help=True)

    @stolen.command("hits")
    def hits_command(ctx: typer.Context,
                     fmt: Annotated[str, typer.Option("--format", help="csv | json")] = "csv") -> None:
        """Recovered guns that were reported lost or stolen: trace, recovery date/place/country, report,
        reporter and the days between report and recovery (negative: reported only after the recovery)."""
        if fmt not in FORMATS:
            raise InvalidInput(f"--format must be one of {', '.join(FORMATS)}")
        from loaders.stolen_hits import hits

        with settings(ctx).open_store() as store:
            frame = hits(store)
            if frame.empty and say_missing(store, "stolen", "traces"):
                return
        _emit(frame, fmt)
        err.print(f"{frame['trace_id'].nunique()} recoveries hit {frame['report_id'].nunique()} lost/stolen "
                  f"reports ({len(frame)} rows)")

    app.add_typer(stolen, name="stolen")
