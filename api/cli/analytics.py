"""Analytics commands: analyze, straw, communities, corridors, chokepoints, path, evaluate (``dealers`` is in
:mod:`api.cli.dealers`)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli.common import emit_json, err, say_missing, settings
from api.cli.output import check_format, emit
from graph.errors import InvalidInput, StoreOutOfMemory, analysis_out_of_memory

FORMAT_HELP = "table | csv | json"
STRAW_COLUMNS = ["rank", "person_key", "last_name", "first_name", "dob", "score", "indicators", "network_id"]


def _cell(value: Any) -> Any:
    """A CSV cell: structured values as compact JSON."""
    return json.dumps(value, separators=(",", ":"), default=str) if isinstance(value, (list, dict)) else value


def csv_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with structured values as compact JSON (for CSV files)."""
    return [{k: _cell(v) for k, v in row.items()} for row in rows]


#: The dealer-anomaly list's output columns -> Dealer properties.
ANOMALY_PROPERTIES = {"license_number": "license_number", "business_name": "business_name", "state": "premise_state",
                      "traces": "trace_count", "expected": "expected_traces"}


def listed_rows(page: Any, columns: dict[str, str]) -> list[dict[str, Any]]:
    """Rows of a ranked list (:class:`api.services.ranking.ListPage`): ``rank``, ``score``, ``indicators`` and
    the properties named in ``columns`` (output column -> schema property)."""
    return [{"rank": item.rank, "score": item.score, "indicators": item.indicators,
             **{column: item.properties.get(prop) for column, prop in columns.items()}} for item in page.items]


def _incremental(ctx: typer.Context, as_json: bool) -> None:
    """``analyze --incremental``: the incremental analysis, alerts, and delivery when a webhook is set."""
    from api.services.daily import incremental

    with settings(ctx).open_store() as store:
        record = incremental(store, settings(ctx), progress=lambda step: err.print(f"  {step}", highlight=False))
    if as_json:
        emit_json({k: v for k, v in record.items() if k != "failed"})
        return
    _say_incremental(record)


def _say_incremental(record: dict[str, object]) -> None:
    err.print(f"incremental analysis run {record['run_id']}: {json.dumps(record['summary'])}", highlight=False)
    err.print(f"{record['alerts']} new alert(s)" + ("" if record["delivered"] is None else
                                                   f", {record['delivered']} delivered, {record['failed']} to retry"),
              highlight=False)
    if record.get("delivery"):
        err.print(f"  {record['delivery']}", highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    @app.command()
    def analyze(ctx: typer.Context,
                seed: Annotated[int, typer.Option(help="seed for community detection and sampling")] = 0,
                resolution: Annotated[float | None, typer.Option(
                    help="network resolution: the tie weight per pair of members a network must exceed "
                         "(Leiden CPM; default: the value docs/accuracy.md chose)")] = None,
                as_json: Annotated[bool, typer.Option("--json", help="print the run record as JSON")] = False,
                incremental: Annotated[bool, typer.Option(
                    "--incremental", help="update only what the loads since the last analysis touch, and raise "
                                          "alerts (docs/alerts.md); a weekly full run stays the reference")] = False,
                engine: Annotated[str, typer.Option(
                    help="where networks and person centrality run: igraph (here) | gds (Neo4j Graph Data "
                         "Science on the server; neo4j store only)")] = "igraph",
                ) -> None:
        """Score straw purchasers and dealers, find networks, centrality and corridors; write results back."""
        from api.services.analysis import full_analysis

        if incremental:
            _incremental(ctx, as_json)
            return
        with settings(ctx).open_store() as store:
            try:
                run = full_analysis(store, seed=seed, resolution=resolution, engine=engine,
                                    progress=lambda step: err.print(f"  {step}", highlight=False))
            except StoreOutOfMemory as exc:
                raise analysis_out_of_memory(exc, "tracegraph analyze") from exc
        if run.overdue:
            err.print(run.overdue, highlight=False)
        if as_json:
            emit_json(run.record())
            return
        result = run.result
        summary = {k: v for k, v in result.summary.items() if k != "skipped"}
        err.print(f"analysis run {result.run_id}: {json.dumps(summary)}", highlight=False)
        by_reason: dict[str, list[str]] = {}
        for stage, reason in result.summary.get("skipped", {}).items():
            by_reason.setdefault(reason, []).append(stage)
        for reason, stages in by_reason.items():
            err.print(f"skipped {', '.join(stages)}: {reason}", highlight=False)

    @app.command()
    def straw(ctx: typer.Context, top: Annotated[int, typer.Option(help="how many")] = 50,
              fmt: Annotated[str, typer.Option("--format", help=FORMAT_HELP)] = "csv") -> None:
        """The straw-purchaser review queue with the indicators that fired."""
        from api.services.listing import straw_queue
        from api.services.port import StorePort

        check_format(fmt)
        with settings(ctx).open_store() as store:
            answer = straw_queue(StorePort(store), limit=top)
            if not answer.items:
                say_missing(store, "purchases")
        rows = listed_rows(answer, {c: c for c in ("person_key", "last_name", "first_name", "dob", "network_id")})
        emit(rows, STRAW_COLUMNS, fmt, structured=("indicators",))

    @app.command()
    def communities(ctx: typer.Context,
                    fmt: Annotated[str, typer.Option("--format", help=FORMAT_HELP)] = "csv",
                    everything: Annotated[bool, typer.Option(
                        "--all", help="every person in every detected network of two or more (the full "
                                      "partition) instead of the ranked review list")] = False) -> None:
        """Networks worth reviewing, ranked, each with its reason (--all: the full partition, person by person)."""
        from api.services.listing import networks
        from api.services.port import StorePort

        check_format(fmt)
        with settings(ctx).open_store() as store:
            if everything:
                rows = store.query("network_members").rows()
            else:
                rows = listed_rows(networks(StorePort(store), limit=None),
                                   {c: c for c in ("review_rank", "network_id", "size", "suspects", "reason")})
            if not rows and not say_missing(store, "purchases"):
                err.print("no networks of two or more persons in the last analysis (run `tracegraph analyze` "
                          "after new loads)" if everything else
                          "no network passes the evidence rule in the last analysis (`--all` lists every "
                          "detected network)", highlight=False)
        if everything:
            emit(rows, ["person_key", "last_name", "first_name", "dob", "network_id", "network_size",
                         "network_score", "network_reviewable"], fmt)
        else:
            emit(rows, ["review_rank", "network_id", "size", "suspects", "score", "reason"], fmt)

    @app.command("corridors")
    def corridors_command(
            ctx: typer.Context,
            into: Annotated[str | None, typer.Option("--into", help="recovered in these states, e.g. NY,NJ")] = None,
            from_: Annotated[str | None, typer.Option("--from", help="sourced from these states, e.g. GA,VA")] = None,
            year: Annotated[int | None, typer.Option(help="one year")] = None,
            years: Annotated[str | None, typer.Option(help="a range, e.g. 2010-2017 (default: every year)")] = None,
            basis: Annotated[str | None, typer.Option(help="traces | atf_table | table:NAME (default: every basis "
                                                           "the store holds, labelled; the ATF table for its cells)")
                             ] = None,
            level: Annotated[str, typer.Option(help="state | city | country")] = "state",
            top: Annotated[int, typer.Option(min=1, help="how many")] = 25,
            fmt: Annotated[str, typer.Option("--format", help=FORMAT_HELP)] = "csv") -> None:
        """Corridors ranked by significance (observed vs gravity-model expected, shrunk), not raw volume.

        In-state flows are not ranked; they are summed up on stderr. Trend: see docs/corridors.md."""
        from algorithms.corridor_query import COLUMNS, CorridorQuery, empty_answer, parse_places, parse_years, records
        from api.services.corridors import corridors
        from api.services.port import StorePort

        check_format(fmt)
        if level not in ("state", "city", "country"):
            raise InvalidInput("--level must be state, city or country")
        query = CorridorQuery(into=parse_places(into, "--into"), from_places=parse_places(from_, "--from"),
                              years=parse_years(year, years), basis=basis, level=level, top=top)
        with settings(ctx).open_store() as store:
            picked = corridors(StorePort(store), query)
        note = empty_answer(picked, query)
        if note:
            err.print(note, highlight=False)
            return
        if not picked.scored:
            err.print("not scored yet (ranked by volume): run `tracegraph analyze`", highlight=False)
        if len(picked.in_state):
            flows = ", ".join(f"{r.src_name or r.src} {int(r.firearms):,} ({r.year}, {r.basis})"
                              for r in picked.in_state.head(5).itertuples())
            err.print(f"in-state flows, not ranked: {flows}", highlight=False)
        emit(records(picked.ranked), list(COLUMNS), fmt)

    @app.command("chokepoints")
    def chokepoints_command(
        ctx: typer.Context,
        top: Annotated[int, typer.Option(help="rows per kind", min=1)] = 20,
        kind: Annotated[str | None, typer.Option(help="dealer | person | city | corridor (default: all)")] = None,
        fmt: Annotated[str, typer.Option("--format", help=FORMAT_HELP)] = "csv",
    ) -> None:
        """Dealers, persons, cities and corridors ranked by the recovered-gun flow their disruption would stop."""
        from algorithms.chokepoints import COLUMNS, KINDS, chokepoints
        from algorithms.tables import load_tables

        check_format(fmt)
        if kind is not None and kind not in KINDS:
            raise InvalidInput(f"--kind must be one of {', '.join(KINDS)}")
        with settings(ctx).open_store() as store:
            tables = load_tables(store)
            if say_missing(store, "traces"):
                return
        result = chokepoints(tables, kinds=(kind,) if kind else KINDS, top=top)
        emit(result.table.to_dict("records"), COLUMNS, fmt)

    @app.command()
    def path(ctx: typer.Context, source: Annotated[str, typer.Argument(help="e.g. person:KEY")],
             target: Annotated[str, typer.Argument(help="e.g. dealer:LICENSE")],
             max_hops: Annotated[int | None, typer.Option("--max-hops", min=1, max=8,
                                                           help="default: the service's, as GET /paths (6)")] = None,
             types: Annotated[str | None, typer.Option(help="comma-separated relationship types")] = None,
             since: Annotated[str | None, typer.Option(help="ignore what is dated before YYYY-MM-DD")] = None,
             ) -> None:
        """Shortest path between two entities (person:, dealer:, firearm:, recovery:, location:)."""
        from api.services.path import DEFAULT_MAX_HOPS, find_path
        from api.services.port import StorePort

        since_date = None
        if since:
            try:
                since_date = date.fromisoformat(since)
            except ValueError:
                raise InvalidInput(f"--since must be YYYY-MM-DD, not {since!r}") from None
        with settings(ctx).open_store() as store:
            if say_missing(store, "entities"):
                return
            result = find_path(StorePort(store), source, target, max_hops=max_hops or DEFAULT_MAX_HOPS,
                               types=types.split(",") if types else None, since=since_date)
        emit_json(_path_json(result))

    @app.command("search")
    def search_command(
            ctx: typer.Context,
            kind: Annotated[str, typer.Argument(metavar="KIND", help="name | serial | license")],
            text: Annotated[str, typer.Argument(metavar="Q", help="LAST or 'LAST, FIRST' | a serial | a license "
                                                                  "number")],
            limit: Annotated[int, typer.Option(min=1, max=100, help="most hits")] = 20) -> None:
        """Find a person by name, a firearm by serial or a dealer by license number (JSON; the same answer as
        POST /api/v1/search)."""
        from dataclasses import asdict

        from api.services.port import StorePort
        from api.services.search import search

        if kind not in ("name", "serial", "license"):
            raise InvalidInput("KIND must be name, serial or license")
        with settings(ctx).open_store() as store:
            hits = search(StorePort(store), kind, text, limit=limit)  # type: ignore[arg-type]
        emit_json([asdict(h) for h in hits])

    @app.command()
    def evaluate(ctx: typer.Context,
                 truth: Annotated[Path, typer.Option("--truth", help="truth.json written by `simulate`")],
                 out_file: Annotated[Path | None, typer.Option("--out", help="also write the figures here")] = None,
                 ) -> None:
        """Score the current analysis against a simulator truth file, beside rule baselines."""
        from algorithms.scorecard import scorecard

        try:
            truth_data = json.loads(truth.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InvalidInput(f"cannot read truth file {truth}: {exc.__class__.__name__}") from None
        with settings(ctx).open_store() as store:
            figures = scorecard(store, truth_data)
        if out_file:
            out_file.write_text(json.dumps(figures, indent=2, sort_keys=True), encoding="utf-8")
        emit_json(figures)


def _path_json(result: Any) -> dict[str, Any]:
    from dataclasses import asdict

    payload = asdict(result)
    payload["source"], payload["target"] = str(result.source), str(result.target)
    return payload
