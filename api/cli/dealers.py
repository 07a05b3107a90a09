"""Dealer commands, one group: ``tracegraph dealers list`` (anomalies against exposure-adjusted peers;
``--near-hotspots KM``: dealers near a crime-hotspot city), ``tracegraph dealers profile LICENSE`` and
``tracegraph dealers profiles`` (transparency profiles, as JSON or CSV; verified facts and estimates are labelled
apart: ``verified`` / ``estimated`` objects in JSON, ``verified_*`` / ``estimated_*`` columns in CSV).

The earlier spellings stay accepted (hidden): ``tracegraph dealers [--top N] [--near-hotspots KM]`` without a
command is ``dealers list``; ``tracegraph dealer profile|profiles`` is ``dealers profile|profiles``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli.analytics import ANOMALY_PROPERTIES, listed_rows
from api.cli.common import err, say_missing, settings
from api.cli.output import check_format, emit, emit_document
from graph.store import GraphStore

NEAR_COLUMNS = ["license_number", "business_name", "city", "state", "nearest_hotspot", "distance_km",
                "anomaly_score"]
ANOMALY_COLUMNS = ["rank", "license_number", "business_name", "state", "traces", "expected", "score", "indicators"]
FORMAT_HELP = "table | csv | json"


def near_hotspot_rows(store: GraphStore, radius_km: float, rule: str | None = None
                      ) -> tuple[list[dict[str, Any]], str]:
    """Dealers within ``radius_km`` of a hotspot city, nearest first (see :func:`near_hotspots`), and the hotspot
    rule in words."""
    from algorithms.dealer_profile import check_radius, json_safe, near_hotspots, tables_from_store
    from algorithms.hotspots import parse_rule

    check_radius(radius_km)
    tables = tables_from_store(store, parse_rule(rule))
    frame = near_hotspots(tables.dealers, tables.hotspots, radius_km)
    frame["distance_km"] = frame["distance_km"].round(2)
    return json_safe(frame.to_dict("records")), tables.hotspot_rule



TopOption = Annotated[int, typer.Option(help="how many")]
ListFormat = Annotated[str, typer.Option("--format", help=FORMAT_HELP)]
NearOption = Annotated[float | None, typer.Option("--near-hotspots", metavar="KM",
                                                  help="instead: dealers within KM of a crime-hotspot city")]

dealers_app = typer.Typer(help="Dealers: anomalies against exposure-adjusted peers (list), dealers near hotspot "
                               "cities, transparency profiles (verified facts and labelled estimates).",
                          invoke_without_command=True)
# the former top-level `tracegraph dealer profile|profiles`, still accepted (hidden)
dealer_alias = typer.Typer(help="Same as `tracegraph dealers profile|profiles`.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(dealers_app, name="dealers")
    app.add_typer(dealer_alias, name="dealer", hidden=True)


@dealers_app.callback()
def dealers_default(
        ctx: typer.Context,
        top: Annotated[int, typer.Option(help="how many", hidden=True)] = 50,
        fmt: Annotated[str, typer.Option("--format", hidden=True)] = "csv",
        near_hotspots: Annotated[float | None, typer.Option("--near-hotspots", metavar="KM", hidden=True)] = None,
) -> None:
    """Dealers: `list` (anomalies against exposure-adjusted peers; --near-hotspots KM), `profile LICENSE`,
    `profiles`. `tracegraph dealers [--top N] [--near-hotspots KM]` without a command is `dealers list`."""
    if ctx.invoked_subcommand is None:
        list_command(ctx, top=top, fmt=fmt, near_hotspots=near_hotspots)


@dealers_app.command("list")
def list_command(ctx: typer.Context, top: TopOption = 50, fmt: ListFormat = "csv", near_hotspots: NearOption = None
                 ) -> None:
    """Dealers whose traces exceed what peers of the same exposure predict (--near-hotspots KM: instead, the
    dealers within KM of a crime-hotspot city)."""
    check_format(fmt)
    if near_hotspots is not None:
        conf = settings(ctx)
        with conf.open_store() as store:
            rows, rule = near_hotspot_rows(store, near_hotspots, conf.hotspot_rule)
        err.print(rule, highlight=False)
        if not rows:
            err.print(f"no dealer with a location within {near_hotspots:g} km of a hotspot: dealers get "
                      "locations from `tracegraph load ffl FILE` or `tracegraph load inspections FILE`",
                      highlight=False)
        emit(rows, NEAR_COLUMNS, fmt)
        return
    from api.services.listing import dealer_anomalies
    from api.services.port import StorePort

    with settings(ctx).open_store() as store:
        answer = dealer_anomalies(StorePort(store), limit=top)
        if not answer.items:
            say_missing(store, "traces")
    emit(listed_rows(answer, ANOMALY_PROPERTIES), ANOMALY_COLUMNS, fmt, structured=("indicators",))


def profile_command(
        ctx: typer.Context,
        license_number: Annotated[str, typer.Argument(metavar="LICENSE", help="full FFL number or REGN-DIST-SEQN")],
        fmt: Annotated[str, typer.Option("--format", help="json | csv | table")] = "json",
        out_file: Annotated[Path | None, typer.Option("--out", help="write here instead of stdout")] = None,
) -> None:
    """One dealer's profile: licence, status, data freshness, inspections with policy context (verified);
    sales-volume index, weapon categories, nearest hotspot city (estimated)."""
    from algorithms.dealer_profile import flat
    from api.services.dealer_profile import dealer_profile
    from api.services.port import StorePort

    check_format(fmt, ("json", "csv", "table"))
    conf = settings(ctx)
    with conf.open_store() as store:
        found = [dealer_profile(StorePort(store), license_number, hotspot_rule=conf.hotspot_rule)]
    if fmt == "json":
        emit_document(found[0], out_file=out_file)
        return
    row = flat(found[0])
    if fmt == "table":  # one dealer: a field | value table, not one row of 40 columns
        emit([{"field": k, "value": v} for k, v in row.items()], ["field", "value"], fmt, out_file=out_file,
             title=row.get("verified_license_number") or "")
        return
    emit([row], list(row), fmt, out_file=out_file)


def profiles_command(
        ctx: typer.Context,
        fmt: Annotated[str, typer.Option("--format", help=FORMAT_HELP)] = "csv",
        out_file: Annotated[Path | None, typer.Option("--out", help="write here instead of stdout")] = None,
) -> None:
    """Every dealer's profile (CSV: one row per dealer, verified_* and estimated_* columns)."""
    from algorithms.dealer_profile import flat, profiles, tables_from_store
    from algorithms.hotspots import parse_rule

    check_format(fmt)
    with settings(ctx).open_store() as store:
        everything = profiles(tables_from_store(store, parse_rule(settings(ctx).hotspot_rule)))
        if not everything:
            say_missing(store, "dealers")
    if fmt == "json":
        emit_document(everything, out_file=out_file)
    else:
        rows = [flat(p) for p in everything]
        emit(rows, list(rows[0]) if rows else ["verified_license_number"], fmt, out_file=out_file)
    if out_file is not None:
        err.print(f"{len(everything)} dealer profiles written to {out_file}")


for _group in (dealers_app, dealer_alias):
    _group.command("profile")(profile_command)
    _group.command("profiles")(profiles_command)
