"""Dealer commands, one group: ``tracegraph dealers list`` (anomalies against exposure-adjusted peers;
``--near-hotspots KM``: dealers near a crime-hotspot city), ``tracegraph dealers profile LICENSE`` and
``tracegraph dealers profiles`` (transparency profiles, as JSON or CSV; verified facts and estimates are labelled
apart: ``verified`` / ``estimated`` objects in JSON, ``verified_*`` / ``estimated_*`` columns in CSV).

The earlier spellings stay accepted (hidden): ``tracegraph dealers [--top N] [--near-hotspots KM]`` without a
command is ``dealers list``; ``tracegraph dealer profile|profiles`` is ``dealers profile|profiles``."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli.analytics import ANOMALY_PROPERTIES, _emit, listed_rows
from api.cli.common import err, say_missing, settings
from exports.csv_safe import table_text
from graph.errors import InvalidInput
from graph.store import GraphStore

FORMATS = ("csv", "json")
NEAR_COLUMNS = ["license_number", "business_name", "city", "state", "nearest_hotspot", "distance_km",
                "anomaly_score"]


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return None if value != value else round(value, 4)  # NaN -> empty
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def write_table(rows: list[dict[str, Any]], columns: list[str], fmt: str, out_file: Path | None) -> None:
    """CSV (header + rows) or a JSON list, to ``out_file`` or stdout."""
    if fmt == "json":
        text = json.dumps([{c: _plain(r.get(c)) for c in columns} for r in rows], default=str) + "\n"
    else:
        text = table_text(columns, ({c: _plain(row.get(c)) for c in columns} for row in rows))
    if out_file is None:
        sys.stdout.write(text)
    else:
        out_file.write_text(text, encoding="utf-8", newline="")


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise InvalidInput(f"--format must be one of {', '.join(FORMATS)}")


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


ANOMALY_COLUMNS = ["rank", "license_number", "business_name", "state", "traces", "expected", "score", "indicators"]

TopOption = Annotated[int, typer.Option(help="how many")]
ListFormat = Annotated[str, typer.Option("--format", help="csv | json")]
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
        fmt: Annotated[str, typer.Option("--format", help="csv | json", hidden=True)] = "csv",
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
    _check_format(fmt)
    if near_hotspots is not None:
        conf = settings(ctx)
        with conf.open_store() as store:
            rows, rule = near_hotspot_rows(store, near_hotspots, conf.hotspot_rule)
        err.print(rule, highlight=False)
        if not rows:
            err.print(f"no dealer with a location within {near_hotspots:g} km of a hotspot: dealers get "
                      "locations from `tracegraph load ffl FILE` or `tracegraph load inspections FILE`",
                      highlight=False)
        _emit(rows, NEAR_COLUMNS, fmt)
        return
    from api.services.listing import dealer_anomalies
    from api.services.port import StorePort

    with settings(ctx).open_store() as store:
        answer = dealer_anomalies(StorePort(store), limit=top)
        if not answer.items:
            say_missing(store, "traces")
    _emit(listed_rows(answer, ANOMALY_PROPERTIES), ANOMALY_COLUMNS, fmt)


def profile_command(
        ctx: typer.Context,
        license_number: Annotated[str, typer.Argument(metavar="LICENSE", help="full FFL number or REGN-DIST-SEQN")],
        fmt: Annotated[str, typer.Option("--format", help="json | csv")] = "json",
        out_file: Annotated[Path | None, typer.Option("--out", help="write here instead of stdout")] = None,
) -> None:
    """One dealer's profile: licence, status, data freshness, inspections with policy context (verified);
    sales-volume index, weapon categories, nearest hotspot city (estimated)."""
    from algorithms.dealer_profile import flat
    from api.services.dealer_profile import dealer_profile
    from api.services.port import StorePort

    _check_format(fmt)
    conf = settings(ctx)
    with conf.open_store() as store:
        found = [dealer_profile(StorePort(store), license_number, hotspot_rule=conf.hotspot_rule)]
    if fmt == "json":
        text = json.dumps(found[0], default=str, sort_keys=False, allow_nan=False)
        if out_file is None:
            print(text)
        else:
            out_file.write_text(text + "\n", encoding="utf-8")
        return
    row = flat(found[0])
    write_table([row], list(row), "csv", out_file)


def profiles_command(
        ctx: typer.Context,
        fmt: Annotated[str, typer.Option("--format", help="csv | json")] = "csv",
        out_file: Annotated[Path | None, typer.Option("--out", help="write here instead of stdout")] = None,
) -> None:
    """Every dealer's profile (CSV: one row per dealer, verified_* and estimated_* columns)."""
    from algorithms.dealer_profile import flat, profiles, tables_from_store
    from algorithms.hotspots import parse_rule

    _check_format(fmt)
    with settings(ctx).open_store() as store:
        everything = profiles(tables_from_store(store, parse_rule(settings(ctx).hotspot_rule)))
        if not everything:
            say_missing(store, "dealers")
    if fmt == "json":
        text = json.dumps(everything, default=str, allow_nan=False) + "\n"
        if out_file is None:
            sys.stdout.write(text)
        else:
            out_file.write_text(text, encoding="utf-8", newline="")
    else:
        rows = [flat(p) for p in everything]
        columns = list(rows[0]) if rows else ["verified_license_number"]
        write_table(rows, columns, "csv", out_file)
    if out_file is not None:
        err.print(f"{len(everything)} dealer profiles written to {out_file}")


for _group in (dealers_app, dealer_alias):
    _group.command("profile")(profile_command)
    _group.command("profiles")(profiles_command)
