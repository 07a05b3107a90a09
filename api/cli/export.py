"""What tracegraph writes for others: ``tracegraph export stix``, ``tracegraph export geojson`` and
``tracegraph trace-requests`` (ATF Form 3312.1 fields for the recoveries not yet traced)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import emit_json, err, say_missing, settings
from api.cli.disseminations import Purpose, Recipient, record
from api.services.delivery import sharing_salt
from graph.errors import InvalidInput
from loaders.domain.parsing import parse_date

export_app = typer.Typer(help="Share: STIX 2.1 bundles (TLP 2.0) and GeoJSON layers.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
    app.command("trace-requests")(trace_requests)


@export_app.command("stix")
def export_stix(ctx: typer.Context,
                tlp: Annotated[str, typer.Option("--tlp", help="clear | green | amber | amber+strict | red")],
                out_file: Annotated[Path, typer.Option("--out", help="bundle file to write")],
                scope: Annotated[str, typer.Option(
                    "--scope", help="all | network:ID | person:KEY | dealer:LICENSE | state:XX (everything in it)")
                ] = "all",
                role: Annotated[str, typer.Option("--role", help="recipient role: partner masks persons")] =
                "partner",
                partner_tlp: Annotated[str | None, typer.Option("--partner-tlp",
                                                                help="a partner's ceiling (amber)")] = None,
                recipient: Recipient = None,
                purpose: Purpose = None,
                ) -> None:
    """Write a STIX 2.1 bundle of what a recipient of --role may receive at --tlp (for a partner: --recipient and
    --purpose, recorded with the file's SHA-256)."""
    from api.services.disseminations import required
    from api.services.export_scope import ExportScope, export_scope
    from exports.stix import bundle_dict, to_stix
    from exports.stix_scope import collect_scope
    from exports.tlp import clearance, level

    wanted = level(tlp)
    cleared = clearance(role, partner_tlp or (wanted if role == "partner" and wanted != "red" else None))
    release = required(recipient, purpose, "a partner export") if role == "partner" else None
    picked = ExportScope.parse(scope)
    conf = settings(ctx)
    with conf.open_store() as store:
        records = export_scope(collect_scope(store, "all"), picked)
    bundle = to_stix(records, tlp=wanted, clearance=cleared, salt=sharing_salt(conf))
    # stix2's own sort_keys serialisation is quadratic in the bundle size; sort the plain JSON instead, compact
    # (an indent switches the json module to its pure-Python encoder: minutes at state scale).
    out_file.write_text(json.dumps(bundle_dict(bundle), sort_keys=True, separators=(",", ":")) + "\n",
                        encoding="utf-8")
    types: dict[str, int] = {}
    for obj in bundle.objects:
        types[obj["type"]] = types.get(obj["type"], 0) + 1
    err.print(f"wrote {len(bundle.objects)} STIX objects to {out_file}")
    if release is not None:
        record(conf, [out_file], recipient=release[0], purpose=release[1], channel="export stix", tlp=wanted,
               objects=len(bundle.objects), target=f"export:stix:{scope}")
    emit_json({"out": str(out_file), "tlp": wanted, "role": role, "scope": scope, "objects": types})


@export_app.command("geojson")
def export_geojson(ctx: typer.Context,
                   out_file: Annotated[Path, typer.Option("--out", help="GeoJSON file to write")],
                   year: Annotated[int | None, typer.Option("--year")] = None,
                   level: Annotated[str | None, typer.Option("--level", help="state | city")] = None,
                   layers: Annotated[str, typer.Option("--layers", help="comma list of corridors,hubs,dealers,"
                                                                         "recoveries")] = "corridors,hubs",
                   role: Annotated[str, typer.Option("--role", help="recipient role (recoveries need AMBER)")] =
                   "analyst",
                   scope: Annotated[str, typer.Option(
                       "--scope", help="all | network:ID | person:KEY | dealer:LICENSE | state:XX (everything in "
                                       "it)")] = "all",
                   recipient: Recipient = None,
                   purpose: Purpose = None,
                   ) -> None:
    """Write corridors, hubs and optional dealer / recovery layers as an RFC 7946 FeatureCollection (for --role
    partner: --recipient and --purpose, recorded with the file's SHA-256)."""
    from api.services.disseminations import required
    from api.services.export_scope import ExportScope, export_scope
    from exports.geojson import LAYERS, from_records
    from exports.stix_scope import collect_scope
    from exports.tlp import LABEL_TLP, clearance

    chosen = tuple(part.strip() for part in layers.split(",") if part.strip())
    unknown = [p for p in chosen if p not in LAYERS]
    if unknown or not chosen:
        raise InvalidInput(f"unknown layer(s) {', '.join(unknown) or '(none)'}: use {', '.join(LAYERS)}")
    if level not in (None, "state", "city"):
        raise InvalidInput(f"unknown level {level!r}: use state or city")
    cleared = clearance(role)
    if "recoveries" in chosen and not cleared.may_see(LABEL_TLP["Recovery"]):
        raise InvalidInput(f"role {role} is not cleared for the recoveries layer (TLP:AMBER)")
    release = required(recipient, purpose, "a partner export") if role == "partner" else None
    picked = ExportScope.parse(scope)
    conf = settings(ctx)
    with conf.open_store() as store:
        records = export_scope(collect_scope(store, "all"), picked)
    collection = from_records(records, year=year, level=level, layers=chosen)
    out_file.write_text(json.dumps(collection, indent=1, default=str) + "\n", encoding="utf-8")
    counts: dict[str, int] = {}
    for feature in collection["features"]:
        counts[feature["properties"]["layer"]] = counts.get(feature["properties"]["layer"], 0) + 1
    if release is not None:
        record(conf, [out_file], recipient=release[0], purpose=release[1], channel="export geojson",
               tlp=cleared.ceiling, objects=len(collection["features"]), target=f"export:geojson:{scope}")
    emit_json({"out": str(out_file), "features": counts,
               "skipped": collection["tracegraph"]["skipped_without_coordinates"]})


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
