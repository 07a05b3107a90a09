"""``tracegraph load KIND PATH``, ``tracegraph load day DIR`` and ``tracegraph build-hotspots OUT`` (see
:mod:`loaders.base`, :mod:`loaders.day`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from api.cli.common import emit_json, err, out, settings
from api.services import daily
from exports.csv_safe import write_table
from graph.errors import InvalidInput
from loaders.base import LoadOptions, LoadReport
from loaders.day import DAY
from loaders.domain.parsing import parse_date
from loaders.kinds import KINDS


def _ffl_refusal(report: Any) -> str | None:
    """Why a new FFL list's churn is refused (its rows are in, the list is not trusted for who left), else None."""
    from loaders.ffl import churn_refusal

    refusal: str | None = churn_refusal(report.details, report.file)
    return refusal


def _counter(progress: Progress, task: TaskID) -> Callable[[int], None]:
    return lambda rows: progress.update(task, completed=rows)


def _summary(report: LoadReport) -> dict[str, Any]:
    return {"kind": report.kind, "file": report.file, "read": report.read, "loaded": report.loaded,
            "rejected": report.rejected, "skipped": report.skipped, "rejects_file": report.rejects_file,
            "run_id": report.run_id, "file_sha256": report.file_sha256, "details": report.details}


def register(app: typer.Typer) -> None:
    @app.command("load")
    def load(
        ctx: typer.Context,
        kind: Annotated[str, typer.Argument(help=" | ".join(KINDS) + " | day (a folder of a day's files: "
                                                 "traces, multiple sales, NIBIN leads, lost/stolen)")],
        path: Annotated[Path, typer.Argument(help="the file to load (day: the folder)")],
        as_json: Annotated[bool, typer.Option("--json", help="last stdout line: one JSON object")] = False,
        rejects_dir: Annotated[Path | None, typer.Option("--rejects-dir",
                                                         help="where *.rejects.csv go (default: beside the store, "
                                                              "rejects/)")] = None,
        as_of: Annotated[str | None, typer.Option("--as-of", help="ffl: list date YYYY-MM-DD (default: from "
                                                                  "the MMYY file name, else the file date)")] = None,
        year: Annotated[int | None, typer.Option("--year", help="state-traces: the table's year when neither "
                                                                "the file name nor the sheet says")] = None,
        basis: Annotated[str | None, typer.Option("--basis", help="state-traces: atf_table when the file is "
                                                                  "ATF's own table in long form (default: "
                                                                  "atf_table for ATF's grid, else table:FILE-STEM)"
                                                  )] = None,
        batch_rows: Annotated[int, typer.Option("--batch-rows", min=1000, help="rows per batch")] = 250_000,
        analyze: Annotated[str | None, typer.Option(
            "--analyze", help="after the load: incremental (the incremental analysis and alerts, when the store "
                              "has an earlier analysis and the load is one it can take) | none. Default "
                              "incremental, or TRACEGRAPH_LOAD_ANALYZE")] = None,
    ) -> None:
        """Load one file of KIND: valid rows into the store, bad rows (with line and reason) into a rejects file.

        ``load day DIR`` loads a day's files (loaders/day.py) as one transaction and analyses once."""
        kind = kind.strip().lower()
        files = daily.files_to_load(kind, path)
        try:
            list_date = parse_date(as_of) if as_of else None
        except ValueError:
            raise InvalidInput(f"--as-of {as_of!r} is not a date (YYYY-MM-DD or MM/DD/YYYY)") from None
        if basis is not None and not re.fullmatch(r"atf_table|table:[a-z0-9][a-z0-9-]*", basis):
            raise InvalidInput(f"--basis {basis!r}: use atf_table or table:NAME (lower-case letters, digits, -)")
        conf = settings(ctx)
        mode = (analyze or conf.load_analyze).strip().lower()
        if mode not in daily.LOAD_ANALYZE:
            raise InvalidInput(f"--analyze must be one of {', '.join(daily.LOAD_ANALYZE)}, not {analyze!r}")
        analysed: dict[str, Any] | None = None
        not_analysed: str | None = None
        with conf.open_store() as store, Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                                  TextColumn("{task.completed:,} rows"), TimeElapsedColumn(),
                                                  console=err, transient=True) as progress:
            def counter(loaded: str, file: Path) -> Callable[[int], None]:
                return _counter(progress, progress.add_task(f"loading {loaded} {file.name}", total=None))

            # a day's files as one transaction: one checkpoint, and all of the day or none of it (loaders/day.py)
            options = LoadOptions(rejects_dir=rejects_dir, batch_rows=batch_rows, as_of=list_date, year=year,
                                  basis=basis)
            reports = daily.load_files(store, files, options, one_transaction=kind == DAY, progress=counter,
                                       analysis_follows=daily.analysis_may_follow(store, files, mode))
            if not any(r.kind == "ffl" and _ffl_refusal(r) for r in reports):  # a refused list is not analysed
                progress.add_task("incremental analysis", total=None)
                analysed, not_analysed = daily.after_load(store, conf, mode)
        analysis = None if analysed is None else {k: analysed[k] for k in ("run_id", "alerts", "delivered")}
        summaries = [_summary(report) for report in reports]
        refusal = None
        for report, summary in zip(reports, summaries, strict=True):
            if report.kind == "ffl":
                from loaders.ffl import churn_refusal, churn_summary
                churn = churn_summary(report.details)
                refusal = churn_refusal(report.details, report.file)
                details = dict(report.details)
                details["churn"] = {k: v for k, v in details.get("churn", {}).items() if k != "changed"}
                summary["details"] = details
                if churn:
                    err.print(churn)
        if analysed is not None:
            err.print(f"incremental analysis run {analysed['run_id']}: {analysed['alerts']} new alert(s)"
                      + ("" if analysed["delivered"] is None else
                         f", {analysed['delivered']} delivered, {analysed['failed']} to retry"), highlight=False)
            if analysed.get("delivery"):
                err.print(f"  {analysed['delivery']}", highlight=False, soft_wrap=True)
        elif not_analysed:
            err.print(not_analysed, highlight=False)
        if as_json:
            emit_json({"files": summaries, "analysis": analysis} if kind == DAY
                      else {**summaries[0], "analysis": analysis})
        else:
            for report in reports:
                out.print(f"{report.kind} {Path(report.file).name}: read {report.read:,}, loaded {report.loaded:,}, "
                          f"rejected {report.rejected:,}"
                          + (f", skipped {report.skipped:,} (blank or layout lines)" if report.skipped else "")
                          + f" (run {report.run_id})", highlight=False)
                if report.rejects_file:
                    out.print(f"rejected rows with line numbers and reasons: {report.rejects_file}",
                              highlight=False)
                if report.details.get("corrected"):
                    corrected = int(report.details["corrected"])
                    unread = corrected - int(report.details.get("corrected_for_analysis", corrected))
                    out.print(f"corrected: {corrected:,} record(s) replaced an earlier version with other facts "
                              "(the relationships it no longer states were removed)"
                              + (f"; {unread:,} of them changed only facts no analysis reads" if unread else ""),
                              highlight=False, soft_wrap=True)
        if refusal:
            raise InvalidInput(refusal)

    @app.command("build-hotspots")
    def build_hotspots(
        out_file: Annotated[Path, typer.Argument(help="hotspots.csv to write")],
        year: Annotated[int | None, typer.Option("--year", help="UCR year (default: the latest, 2015)")] = None,
    ) -> None:
        """Write a hotspots.csv from the FBI UCR city table shipped with tracegraph (68 large jurisdictions)."""
        from loaders.domain.hotspots import hotspots_from_ucr

        table = hotspots_from_ucr(year)
        if table.empty:
            raise InvalidInput(f"no UCR figures for year {year}")
        out_file.parent.mkdir(parents=True, exist_ok=True)
        with out_file.open("w", encoding="utf-8", newline="") as handle:
            write_table(handle, list(table.columns), table.to_dict("records"))
        err.print(f"wrote {len(table)} cities to {out_file}")
