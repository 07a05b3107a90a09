"""``tracegraph report``: corridor reports (one or a batch, HTML + PDF) and the network case report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli.common import emit_json, err, settings
from api.cli.disseminations import Purpose, Recipient
from api.cli.disseminations import record as record_release
from graph.errors import InvalidInput

report_app = typer.Typer(help="Self-contained HTML (and PDF) reports: corridors and network cases.",
                         no_args_is_help=True)


def _print_files(records: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        emit_json({"reports": records, "files": [r[k] for r in records for k in ("html", "pdf") if k in r]})
        return
    for record in records:
        for key in ("html", "pdf"):
            if key in record:
                print(record[key])


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")

    @report_app.command("corridors")
    def corridors(
            ctx: typer.Context,
            out_dir: Annotated[Path, typer.Option("--out", help="folder for the reports")],
            year: Annotated[list[int] | None, typer.Option(help="a year (repeat for several; default: all years)")
                            ] = None,
            region: Annotated[list[str] | None, typer.Option(
                help="comma list of state codes, e.g. NY,NJ,CT: corridors into or out of them (repeat for several; "
                     "default: every state)")] = None,
            level: Annotated[str, typer.Option(help="state | city")] = "state",
            basis: Annotated[str | None, typer.Option(help="traces | atf_table | table:NAME (default: the ATF "
                                                           "table when loaded, else the traces)")] = None,
            batch: Annotated[Path | None, typer.Option("--batch", help="JSON or YAML list of {region, year, level}")
                             ] = None,
            pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="also print each report to PDF")] = True,
            as_json: Annotated[bool, typer.Option("--json", help="list the files written as JSON")] = False,
    ) -> None:
        """Corridor reports: a map of corridors and hubs, time-to-crime and trend charts, the ranked table.

        Repeated --region/--year render their cross product; --batch renders the reports a file lists."""
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from exports.reports.batch import expand, read_batch
        from exports.reports.gather import corridor_report, flow_years
        from exports.reports.render import render_corridor_html, write_report

        if batch is not None and (region or year):
            raise InvalidInput("use either --batch or --region/--year, not both")
        jobs = read_batch(batch, level) if batch is not None else expand(region or [], list(year or []), level)
        records: list[dict[str, Any]] = []
        with settings(ctx).open_store() as store:
            years = {lvl: flow_years(store, lvl, basis) for lvl in {job.level for job in jobs}}
            for job in jobs:  # check every job before drawing any
                if job.year is not None and years[job.level] and job.year not in years[job.level]:
                    have = years[job.level]
                    raise InvalidInput(f"no {job.level}-level corridors for year {job.year}: the store has "
                                       f"{have[0]}-{have[-1]}")
            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          console=err) as bar:
                task = bar.add_task("corridor reports", total=len(jobs))
                for job in jobs:
                    report = corridor_report(store, region=job.region, year=job.year, level=job.level, basis=basis)
                    bar.update(task, description=f"{report.slug}")
                    record = {"region": list(job.region), "year": job.year, "level": job.level, "basis": report.basis,
                              "corridors": len(report.corridors), "tlp": report.tlp,
                              **write_report(render_corridor_html(report), out_dir, report.slug, pdf=pdf)}
                    records.append(record)
                    bar.advance(task)
        _print_files(records, as_json)

    @report_app.command("case")
    def case(
            ctx: typer.Context,
            network_id: Annotated[str, typer.Argument(help="a network id (see `tracegraph communities`)")],
            out_dir: Annotated[Path, typer.Option("--out", help="folder for the report")],
            pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="also print the report to PDF")] = True,
            as_json: Annotated[bool, typer.Option("--json", help="list the files written as JSON")] = False,
            recipient: Recipient = None,
            purpose: Purpose = None,
    ) -> None:
        """Case report for one network (TLP:RED: personal data): members, timeline, map, purchases, recoveries.

        A case report is written to be handed over: --recipient and --purpose are required and recorded with the
        SHA-256 of each file (`tracegraph disseminations`)."""
        from api.services.disseminations import required
        from exports.reports.gather import case_report
        from exports.reports.render import render_case_html, write_report

        release = required(recipient, purpose, "a case report")
        conf = settings(ctx)
        with conf.open_store() as store:
            report = case_report(store, network_id)
        written = {"network_id": report.network_id, "members": len(report.members), "tlp": report.tlp,
                   **write_report(render_case_html(report), out_dir, report.slug, pdf=pdf)}
        record_release(conf, [Path(written[k]) for k in ("html", "pdf") if k in written], recipient=release[0],
               purpose=release[1], channel="report case", tlp=report.tlp, objects=len(report.members),
               target=f"report:case:{report.network_id}")
        _print_files([written], as_json)
