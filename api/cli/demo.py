"""``tracegraph demo``: the main job end to end on the embedded store, growing as the product grows.

simulate -> init -> load every file -> analyze -> write every product -> evaluate against the planted truth ->
print a summary table of what was found and where each file is. Each step takes the demo context and adds rows
to the summary; a failing step stops the demo with one clear line (nothing is silently skipped).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from api.cli.common import err, out
from exports.csv_safe import write_table
from graph.embedded_store import EmbeddedStore
from graph.embedded_writes import wal_path

LOADS = (("ffl", "ffl_list_prev.txt"), ("ffl", "ffl_list.txt"), ("traces", "traces.csv"),
         ("multiple-sales", "multiple_sales.csv"), ("nibin", "nibin_leads.csv"), ("inspections", "inspections.csv"),
         ("violations", "violations.csv"), ("hotspots", "hotspots.csv"), ("stolen", "stolen.csv"))


@dataclass
class DemoContext:
    out_dir: Path
    scale: str
    seed: int
    store: EmbeddedStore
    summary: list[tuple[str, str, str]] = field(default_factory=list)  # (step, finding, where)
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def inputs(self) -> Path:
        return self.out_dir / "inputs"

    @property
    def products(self) -> Path:
        path = self.out_dir / "products"
        path.mkdir(parents=True, exist_ok=True)
        return path


Step = Callable[[DemoContext], None]


def _simulate(ctx: DemoContext) -> None:
    from loaders.synthetic import simulate

    result = simulate(ctx.scale, ctx.seed, ctx.inputs)
    traces = result.rows.get("traces.csv", 0)
    ctx.summary.append(("simulate", f"{traces:,} traces, planted straw rings and corrupt dealers",
                        str(ctx.inputs)))


def _init(ctx: DemoContext) -> None:
    ctx.store.init_schema()
    ctx.summary.append(("init", "schema created", str(ctx.store.path)))


def _load(ctx: DemoContext) -> None:
    from algorithms.stolen_hits import after_load
    from loaders.base import LoadOptions, run_load
    from loaders.kinds import loader_for

    read = loaded = rejected = 0
    for kind, name in LOADS:
        report = run_load(loader_for(kind), ctx.store, ctx.inputs / name,
                          LoadOptions(rejects_dir=ctx.out_dir / "rejects", after_load=after_load))
        read, loaded, rejected = read + report.read, loaded + report.loaded, rejected + report.rejected
    counts = ctx.store.counts()
    ctx.summary.append(("load", f"{read:,} rows read = {loaded:,} loaded + {rejected:,} rejected (kept with "
                                f"reasons); {sum(counts['nodes'].values()):,} nodes, "
                                f"{sum(counts['relationships'].values()):,} relationships",
                        str(ctx.out_dir / "rejects")))


def _analyze(ctx: DemoContext) -> None:
    from api.services.analysis import full_analysis

    result = full_analysis(ctx.store, seed=ctx.seed).result
    ctx.state["analysis"] = result
    ctx.summary.append(("analyze", f"run {result.run_id}: {result.summary.get('reviewable_networks', 0)} networks "
                                   f"worth reviewing (of {result.summary['networks']} detected), "
                                   f"{result.summary['dealers_above_expected']} dealers above expected",
                        "AnalysisRun node in the store"))


def _write_csv(path: Path, rows: list[dict[str, Any]], columns: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        write_table(handle, columns, rows)


def _products(ctx: DemoContext) -> None:
    from api.cli.analytics import ANOMALY_PROPERTIES, csv_rows, listed_rows
    from api.services.listing import dealer_anomalies, straw_queue
    from api.services.port import StorePort

    port = StorePort(ctx.store)
    queue = csv_rows(listed_rows(straw_queue(port, limit=100), {
        c: c for c in ("person_key", "last_name", "first_name", "dob", "network_id")}))
    path = ctx.products / "straw_queue.csv"
    _write_csv(path, queue, ["rank", "person_key", "last_name", "first_name", "dob", "score", "indicators",
                             "network_id"])
    ctx.summary.append(("straw queue", f"top {len(queue)} purchasers with fired indicators", str(path)))
    dealers = csv_rows(listed_rows(dealer_anomalies(port, limit=100), ANOMALY_PROPERTIES))
    path = ctx.products / "dealer_anomalies.csv"
    _write_csv(path, dealers, ["rank", "license_number", "business_name", "state", "traces", "expected", "score",
                               "indicators"])
    ctx.summary.append(("dealer anomalies", f"{len(dealers)} dealers ranked against exposure-adjusted peers",
                        str(path)))
    from algorithms.corridor_query import COLUMNS, CorridorQuery, records
    from api.services.corridors import corridors as ask_corridors

    corridors = records(ask_corridors(port, CorridorQuery(basis="traces", top=200)).ranked)
    path = ctx.products / "corridors_state.csv"
    _write_csv(path, corridors, list(COLUMNS))
    top = corridors[0] if corridors else None
    found = f"top: {top['src']} -> {top['dst']} ({top['year']})" if top else "no corridors"
    ctx.summary.append(("corridors", found, str(path)))


def _sharing(ctx: DemoContext) -> None:
    """What partners receive: a TLP:GREEN STIX 2.1 bundle (persons left out at GREEN) and GeoJSON corridors."""
    import secrets

    from exports.geojson import from_records
    from exports.stix import bundle_dict, to_stix
    from exports.stix_scope import collect_scope
    from exports.tlp import clearance

    records = collect_scope(ctx.store, "all")
    bundle = to_stix(records, tlp="green", clearance=clearance("partner"), salt=secrets.token_hex(16))
    path = ctx.products / "partner_bundle_tlp_green.json"
    # stix2's own sort_keys serialisation is quadratic in the bundle size; sort the plain JSON instead, compact
    # (an indent switches the json module to its pure-Python encoder: minutes at state scale).
    path.write_text(json.dumps(bundle_dict(bundle), sort_keys=True, separators=(",", ":")) + "\n",
                    encoding="utf-8")
    ctx.summary.append(("STIX 2.1", f"{len(bundle.objects):,} objects for partners at TLP:GREEN", str(path)))
    collection = from_records(records, level="state", layers=("corridors", "hubs"))
    path = ctx.products / "corridors_state.geojson"
    path.write_text(json.dumps(collection, indent=1, default=str) + "\n", encoding="utf-8")
    ctx.summary.append(("GeoJSON", f"{len(collection['features']):,} corridor and hub features (RFC 7946)",
                        str(path)))


def _reports(ctx: DemoContext) -> None:
    """The commander's corridor report (every state, every year) and a case report for the top network."""
    from exports.reports.gather import case_report, corridor_report
    from exports.reports.render import render_case_html, render_corridor_html, write_report
    from graph.errors import InvalidInput

    folder = ctx.products / "reports"
    report = corridor_report(ctx.store, level="state")
    html = render_corridor_html(report)
    try:
        write_report(html, folder, report.slug, pdf=True)
        note = "HTML + PDF"
    except InvalidInput:  # WeasyPrint/pango missing on this machine: the HTML is the report
        write_report(html, folder, report.slug, pdf=False)
        note = "HTML (PDF needs WeasyPrint + pango)"
    cases = 0
    networks = ctx.state["analysis"].networks
    if len(networks):
        reviewable = networks[networks["reviewable"].astype(bool)]  # the first network on the review list
        top = (reviewable if len(reviewable) else networks).sort_values(["score", "size"], ascending=False).iloc[0]
        case = case_report(ctx.store, str(top["network_id"]))
        write_report(render_case_html(case), folder, case.slug, pdf=False)
        cases = 1
    ctx.summary.append(("reports", f"corridor report ({len(report.corridors)} corridors, {note}) and "
                                   f"{cases} network case report(s), offline", str(folder)))


def _bloom(ctx: DemoContext) -> None:
    from exports.bloom import perspective

    path = ctx.products / "tracegraph.bloom-perspective.json"
    path.write_text(json.dumps(perspective(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    ctx.summary.append(("Bloom", "perspective generated from the schema (import it in Neo4j Bloom)", str(path)))


def _evaluate(ctx: DemoContext) -> None:
    from algorithms.scorecard import scorecard

    truth = json.loads((ctx.inputs / "truth.json").read_text(encoding="utf-8"))
    figures = scorecard(ctx.store, truth)
    path = ctx.products / "evaluation.json"
    path.write_text(json.dumps(figures, indent=2, sort_keys=True), encoding="utf-8")
    s, d = figures["straw"], figures.get("dealers", {})
    ctx.summary.append(("evaluate", f"straw precision@{int(s['k'])} {s['precision_at_k']:.2f} vs spreadsheet "
                                    f"baseline {s['baseline_plus_multiple_sales']:.2f}; corrupt dealers median "
                                    f"rank {d.get('median_rank', float('nan')):.0f} vs "
                                    f"{d.get('baseline_raw_traces_median_rank', float('nan')):.0f} by raw traces",
                        str(path)))


STEPS: list[tuple[str, Step]] = [("simulate", _simulate), ("init", _init), ("load", _load), ("analyze", _analyze),
                                 ("products", _products), ("reports", _reports), ("sharing", _sharing),
                                 ("bloom", _bloom),
                                 ("evaluate", _evaluate)]


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        out_dir: Annotated[Path, typer.Option("--out", help="where the demo writes its store and products")] = Path(
            "demo-out"),
        scale: Annotated[str, typer.Option(help="small | state")] = "small",
        seed: Annotated[int, typer.Option(help="seed of the simulated world")] = 7,
        public: Annotated[bool, typer.Option("--public", help="instead of a simulated world: the real public data "
                                                             "tracegraph ships (ATF state tables, ATF inspection "
                                                             "reports, FBI UCR)")] = False,
    ) -> None:
        """Run the main job end to end on the embedded store and print what was found and where."""
        from api.cli import demo_public

        if scale not in ("small", "state"):
            raise typer.BadParameter("use small or state", param_hint="--scale")
        out_dir.mkdir(parents=True, exist_ok=True)
        db = out_dir / "tracegraph.lbug"
        for stale in (db, wal_path(db)):
            stale.unlink(missing_ok=True)  # the demo starts from nothing, every time
        from api.services.store_file import checkpoint as store_checkpoint

        started = time.perf_counter()
        with EmbeddedStore(db) as store:
            ctx = DemoContext(out_dir=out_dir, scale=scale, seed=seed, store=store)
            for name, step in (demo_public.steps() if public else STEPS):
                t0 = time.perf_counter()
                err.print(f"[bold]{name}[/bold] ...")
                step(ctx)
                err.print(f"  done in {time.perf_counter() - t0:.1f} s")
            # the demo's loads and analysis went to the write-ahead log (graph/embedded_writes.py): write them into
            # the file, so the store is the one file a user copies or opens, and no open replays the log
            store_checkpoint(store)
        what = "public data" if public else f"{scale}, seed {seed}"
        table = Table(title=f"tracegraph demo ({what}) in {time.perf_counter() - started:.1f} s")
        for column in ("step", "found", "where"):
            table.add_column(column, overflow="fold")
        for row in ctx.summary:
            table.add_row(*row)
        out.print(table)
