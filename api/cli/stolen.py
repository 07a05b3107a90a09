"""Lost/stolen records checked against recoveries: ``tracegraph stolen hits``."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.common import err, say_missing, settings
from api.cli.output import check_format, emit

HIT_FIELDS = ("trace_id", "recovery_date", "recovery_city", "recovery_state", "recovery_country", "report_id",
              "reported_date", "reporter_kind", "reporter", "reporter_dealer_key", "report_country", "source_form",
              "days_report_to_recovery", "reported_before_recovery", "manufacturer", "model", "serial_number")


def register(app: typer.Typer) -> None:
    stolen = typer.Typer(help="Lost/stolen firearm reports checked against recoveries.", no_args_is_help=True)

    @stolen.command("hits")
    def hits_command(ctx: typer.Context,
                     fmt: Annotated[str, typer.Option("--format", help="table | csv | json")] = "csv") -> None:
        """Recovered guns that were reported lost or stolen: trace, recovery date/place/country, report,
        reporter and the days between report and recovery (negative: reported only after the recovery)."""
        check_format(fmt)
        from algorithms.stolen_hits import hits

        with settings(ctx).open_store() as store:
            frame = hits(store)
            if frame.empty and say_missing(store, "stolen", "traces"):
                return
        emit(frame.to_dict("records"), HIT_FIELDS, fmt)
        err.print(f"{frame['trace_id'].nunique()} recoveries hit {frame['report_id'].nunique()} lost/stolen "
                  f"reports ({len(frame)} rows)")

    app.add_typer(stolen, name="stolen")
