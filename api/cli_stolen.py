"""Lost/stolen records and trace requests: ``tracegraph stolen hits`` and ``tracegraph trace-requests``."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from api.cli_common import emit_json, err, say_missing, settings
from exports.csv_safe import table_text
from graph.errors import InvalidInput
from loaders.domain.parsing import parse_date

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
        from algorithms.stolen_hits import hits

        with settings(ctx).open_store() as store:
            frame = hits(store)
            if frame.empty and say_missing(store, "stolen", "traces"):
                return
        _emit(frame, fmt)
        err.print(f"{frame['trace_id'].nunique()} recoveries hit {frame['report_id'].nunique()} lost/stolen "
                  f"reports ({len(frame)} rows)")

    app.add_typer(stolen, name="stolen")

    @app.command("trace-requests")
    def trace_requests(ctx: typer.Context,
                       out_file: Annotated[Path, typer.Option("--out", help="the CSV to write (ATF F 3312.1 "
                                                                             "fields, one row per firearm)")],
                       since: Annotated[str | None, typer.Option(help="recoveries on or after this date")] = None,
                       ) -> None:
        """Write the recoveries not yet traced as a ready-to-submit CSV of ATF Form 3312.1 fields."""
        from exports.trace_requests import summary, untraced, write_csv

        since_date: date | None = None
        if since is not None:
            try:
                since_date = parse_date(since)
            except ValueError:
                since_date = None
            if since_date is None:
                raise InvalidInput("--since: not a date (use YYYY-MM-DD or MM/DD/YYYY)")
        if out_file.parent and not out_file.parent.exists():
            raise InvalidInput(f"--out: no such directory {out_file.parent}")
        with settings(ctx).open_store() as store:
            frame = untraced(store, since_date)
            if frame.empty:
                say_missing(store, "recoveries")
        write_csv(frame, out_file)
        figures = summary(frame)
        err.print(f"{figures['firearms']} untraced firearms written to {out_file}")
        emit_json({"out": str(out_file), **figures})
