"""Firearm commands: ``firearms match`` (damaged serials), ``firearms chain`` (one gun's trace chain) and
``firearms batches`` (serial batches)."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.common import emit_json, err, say_missing, settings
from api.cli.output import check_format, emit

MATCH_COLUMNS = ["rank", "score", "serial", "manufacturer", "model", "caliber", "firearm_key", "reason"]


def register(app: typer.Typer) -> None:
    firearms = typer.Typer(help="Damaged-serial matching, trace chains and serial batches.", no_args_is_help=True)
    app.add_typer(firearms, name="firearms")

    @firearms.command("match")
    def match_command(
        ctx: typer.Context,
        serial: Annotated[str, typer.Option(help="what was read: ? or _ = one unreadable character, * = any number")],
        manufacturer: Annotated[str | None, typer.Option(help="filter (fuzzy: 'S&W' finds SMITH & WESSON)")] = None,
        model: Annotated[str | None, typer.Option(help="prefer this model")] = None,
        caliber: Annotated[str | None, typer.Option(help="prefer this caliber")] = None,
        top: Annotated[int, typer.Option(help="how many candidates", min=1, max=1000)] = 10,
        fmt: Annotated[str, typer.Option("--format", help="table | csv | json")] = "table",
    ) -> None:
        """Candidates for a partial or partly obliterated serial, ranked, each with the reason."""
        from algorithms.serials import SerialIndex, match, parse_pattern

        check_format(fmt)
        parse_pattern(serial)  # bad input fails before the store is opened
        with settings(ctx).open_store() as store:
            firearms_table = store.node_table("Firearm", ("serial_normalized", "manufacturer_normalized", "model",
                                                          "caliber")).to_pandas()
            if firearms_table.empty and say_missing(store, "firearms"):
                return
        index = SerialIndex.build(firearms_table)
        found = match(index, serial, manufacturer=manufacturer, model=model, caliber=caliber, top=top)
        rows = [{"rank": i, "score": c.score, "serial": c.serial, "manufacturer": c.manufacturer, "model": c.model,
                 "caliber": c.caliber, "firearm_key": c.key, "reason": c.reason} for i, c in enumerate(found, 1)]
        emit(rows, MATCH_COLUMNS, fmt, title=f"candidates for {serial}")

    @firearms.command("chain")
    def chain_command(
        ctx: typer.Context,
        firearm: Annotated[str, typer.Argument(metavar="FIREARM", help="firearm:KEY or a firearm key")],
    ) -> None:
        """One firearm's trace chain: sales, purchases, recoveries with possessors, NIBIN links (JSON; the same
        answer as GET /api/v1/firearms/{key})."""
        from dataclasses import asdict

        from api.services.firearm_chain import firearm_chain
        from api.services.port import StorePort

        with settings(ctx).open_store() as store:
            chain = firearm_chain(StorePort(store), firearm)
        emit_json(asdict(chain))

    @firearms.command("batches")
    def batches_command(
        ctx: typer.Context,
        min_size: Annotated[int, typer.Option(help="fewest recovered guns in a batch", min=2)] = 3,
        max_gap: Annotated[int, typer.Option(help="largest serial-number gap inside a batch", min=1)] = 30,
        min_score: Annotated[float, typer.Option(help="least -log10 chance score, corrected for the groups tested "
                                                      "(2 = 1 in 100; 0 lists every run)")] = 2.0,
        spread_only: Annotated[bool, typer.Option("--spread-only", help="only batches seen in several places")
                               ] = False,
        fmt: Annotated[str, typer.Option("--format", help="table | csv | json")] = "csv",
    ) -> None:
        """Recovered guns of one make and model with serials close in sequence: one diversion point."""
        from algorithms.batches import batch_rows, batches
        from algorithms.tables import load_tables

        check_format(fmt)
        with settings(ctx).open_store() as store:
            tables = load_tables(store)
            if say_missing(store, "recovered_firearms"):
                return
        found = [b for b in batches(tables, min_size=min_size, max_gap=max_gap)
                 if b.score >= min_score and (b.spread or not spread_only)]
        rows = batch_rows(found)
        if not rows:
            err.print(f"no serial batches of {min_size}+ recovered guns at score >= {min_score:g} among "
                      f"{len(tables.recovered):,} recoveries", highlight=False)
        columns = ["batch_id", "manufacturer", "model", "size", "score", "spread", "first_serial", "last_serial",
                   "serials", "dealers", "places", "states", "countries", "first_recovery", "last_recovery",
                   "span_days", "trace_ids"]
        emit(rows, columns, fmt)
