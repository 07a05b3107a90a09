"""``tracegraph demo --public``: the product on the real public data it ships, for newcomers.

ATF's eight state tables (2010–2017), The Trace / USA Today ATF inspection reports (2015–2017) and FBI UCR city
rates (``loaders/refdata``, see its PROVENANCE.md) -> init -> load -> analyze -> the Iron Pipeline corridor
reports (into and out of New York and Illinois), corridors as CSV and GeoJSON, and the transparency profiles of
every inspected dealer. Nothing is simulated.
"""

from __future__ import annotations

import gzip
import json
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

from api.cli.demo import DemoContext, Step, _write_csv
from exports.csv_safe import write_table as write_csv

PUBLIC = "refdata/public"
INSPECTIONS = "thetrace_usatoday_atf_inspections_2015_2017.ndjson"
REGIONS = ("NY", "IL")


def _files() -> Any:
    return resources.files("loaders").joinpath(PUBLIC)


def _inputs(ctx: DemoContext) -> None:
    """Copy the shipped files out of the package (the inspections unzipped) and build the hotspots table."""
    from loaders.domain.hotspots import hotspots_from_ucr

    ctx.inputs.mkdir(parents=True, exist_ok=True)
    tables = sorted(entry.name for entry in _files().iterdir() if entry.name.endswith(".xlsx"))
    for name in tables:
        (ctx.inputs / name).write_bytes(_files().joinpath(name).read_bytes())
    with gzip.open(str(_files().joinpath(INSPECTIONS + ".gz")), "rb") as packed, \
            (ctx.inputs / INSPECTIONS).open("wb") as plain:
        shutil.copyfileobj(packed, plain)
    table = hotspots_from_ucr()
    with (ctx.inputs / "hotspots.csv").open("w", encoding="utf-8", newline="") as handle:
        write_csv(handle, list(table.columns), table.to_dict("records"))
    ctx.state["tables"] = tables
    ctx.summary.append(("inputs", f"{len(tables)} ATF state tables, ATF inspection reports 2015-2017, FBI UCR "
                                  "city rates (public data shipped with tracegraph)", str(ctx.inputs)))


def _load(ctx: DemoContext) -> None:
    from algorithms.stolen_hits import after_load
    from loaders.base import LoadOptions, run_load
    from loaders.kinds import loader_for

    read = loaded = rejected = 0
    loads = [("state-traces", name) for name in ctx.state["tables"]]
    loads += [("inspections", INSPECTIONS), ("hotspots", "hotspots.csv")]
    for kind, name in loads:
        report = run_load(loader_for(kind), ctx.store, ctx.inputs / name,
                          LoadOptions(rejects_dir=ctx.out_dir / "rejects", after_load=after_load))
        read, loaded, rejected = read + report.read, loaded + report.loaded, rejected + report.rejected
    ctx.summary.append(("load", f"{read:,} rows read = {loaded:,} loaded + {rejected:,} rejected (kept with "
                                "reasons: the inspections file ends with a source note)", str(ctx.out_dir /
                                                                                              "rejects")))


def _analyze(ctx: DemoContext) -> None:
    from api.services.analysis import full_analysis

    result = full_analysis(ctx.store, seed=ctx.seed).result
    scored = sum(result.summary["corridors"].values())
    ctx.summary.append(("analyze", f"run {result.run_id}: {scored:,} corridors scored on ATF's tables; "
                                   f"{len(result.summary['skipped'])} stages skipped (no trace records)",
                        "AnalysisRun node in the store"))


def _corridors(ctx: DemoContext) -> None:
    from algorithms.corridor_query import COLUMNS, CorridorQuery, ask, records

    latest = max(int(name[-9:-5]) for name in ctx.state["tables"])
    ctx.state["year"] = latest
    found = []
    for region in REGIONS:
        rows = records(ask(ctx.store, CorridorQuery(into=(region,), years=(latest, latest), top=10)).ranked)
        path = ctx.products / f"corridors_into_{region}_{latest}.csv"
        _write_csv(path, rows, list(COLUMNS))
        found.append(f"into {region}: " + ", ".join(str(r["src"]).removeprefix("state:US-") for r in rows[:5]))
    ctx.summary.append(("corridors", f"{latest} " + "; ".join(found), str(ctx.products)))


def _reports(ctx: DemoContext) -> None:
    from exports.reports.gather import corridor_report
    from exports.reports.render import render_corridor_html, write_report
    from graph.errors import InvalidInput

    folder = ctx.products / "reports"
    notes = []
    for region in REGIONS:
        report = corridor_report(ctx.store, region=(region,), year=ctx.state["year"])
        html = render_corridor_html(report)
        try:
            write_report(html, folder, report.slug, pdf=True)
            notes.append(f"{region} HTML + PDF")
        except InvalidInput:  # WeasyPrint/pango missing: the HTML is the report
            write_report(html, folder, report.slug, pdf=False)
            notes.append(f"{region} HTML")
    ctx.summary.append(("reports", f"Iron Pipeline corridor reports ({', '.join(notes)}), offline", str(folder)))


def _sharing(ctx: DemoContext) -> None:
    from exports.geojson import from_records
    from exports.stix_scope import collect_scope

    collection = from_records(collect_scope(ctx.store, "all"), level="state", layers=("corridors",))
    path = ctx.products / "corridors_atf_state.geojson"
    path.write_text(json.dumps(collection, indent=1, default=str) + "\n", encoding="utf-8")
    ctx.summary.append(("GeoJSON", f"{len(collection['features']):,} corridor features (RFC 7946)", str(path)))


def _profiles(ctx: DemoContext) -> None:
    from algorithms.dealer_profile import flat, profiles, tables_from_store
    from api.cli.output import emit

    everything = profiles(tables_from_store(ctx.store))
    inspected = [p for p in everything if p["verified"]["inspections"]]
    path = ctx.products / "dealer_profiles_inspected.json"
    path.write_text(json.dumps(inspected, default=str, allow_nan=False) + "\n", encoding="utf-8")
    rows = [flat(p) for p in inspected]
    emit(rows, list(rows[0]) if rows else ["verified_license_number"], "csv",
         out_file=ctx.products / "dealer_profiles_inspected.csv")
    located = sum(1 for p in inspected if p["estimated"]["lat"] is not None)
    five = sum(int(r["verified_zero_tolerance_category_citations"]) for r in rows)
    ctx.summary.append(("dealer profiles", f"{len(inspected):,} inspected dealers ({located:,} located); "
                                           f"{five:,} citations in the five zero-tolerance categories", str(path)))


def steps() -> list[tuple[str, Step]]:
    from api.cli.demo import _init

    return [("inputs", _inputs), ("init", _init), ("load", _load), ("analyze", _analyze),
            ("corridors", _corridors), ("reports", _reports), ("sharing", _sharing), ("profiles", _profiles)]


def public_inputs() -> Path:
    """Where the shipped public files are (for the README and tests)."""
    return Path(str(_files()))
