"""The store itself: ``tracegraph init`` (schema), ``tracegraph stats`` (counts) and ``tracegraph store …``
(migration from the Kùzu-era format; the checkpoint a nightly timer runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from api.cli.common import emit_json, err, out, settings
from api.cli.output import emit_document

store_app = typer.Typer(help="The store file itself: migrate a Kùzu-era store to LadybugDB; checkpoint it.",
                        no_args_is_help=True)


@store_app.command("checkpoint")
def checkpoint(ctx: typer.Context,
               as_json: Annotated[bool, typer.Option("--json", help="print the record as one JSON object")] = False,
               ) -> None:
    """Write the days kept in the embedded store's write-ahead log into the file and empty the log (daily loads
    and incremental analyses commit to the log and leave this for later; every open replays the log until it
    runs). For a nightly timer; the full `analyze` does it at its end. Neo4j: nothing to do."""
    from api.services.store_file import checkpoint as run_checkpoint
    from api.services.store_file import describe

    with settings(ctx).open_store() as store:
        record = run_checkpoint(store)
    if as_json:
        emit_json(record)
        return
    err.print(describe(record), highlight=False)


@store_app.command("migrate")
def migrate(old: Annotated[Path, typer.Argument(help="a store written by a Kùzu-based tracegraph (left unchanged)")],
            new: Annotated[Path, typer.Argument(help="the LadybugDB store to create (must not exist)")],
            as_json: Annotated[bool, typer.Option("--json", help="print the report as one JSON object")] = False,
            ) -> None:
    """Convert a Kùzu-era store: export it with Kùzu 0.11.3 in a separate process, import it with LadybugDB,
    verify the count of every node label and relationship type, bring the schema up to date."""
    from graph.migrate import migrate_kuzu_store

    err.print(f"exporting {old} with Kùzu (read-only) …")
    report = migrate_kuzu_store(old, new)
    if as_json:
        emit_document(report.as_dict())
        return
    nodes = sum(report.after["nodes"].values())
    rels = sum(report.after["relationships"].values())
    err.print(f"migrated {old} (Kùzu {report.kuzu_version}) -> {new}: {nodes:,} nodes and {rels:,} relationships, "
              f"counts equal per label and type; schema columns added: {len(report.schema_changes)}")
    err.print(f"use it with: export TRACEGRAPH_DB={new}")


def init(ctx: typer.Context) -> None:
    """Create the schema in the configured store (idempotent)."""
    from algorithms import retention, stored_state
    from api.services.store_file import checkpoint as run_checkpoint
    from loaders.entities import backfill_person_blocks
    from loaders.straw_keys import index_all

    conf = settings(ctx)
    with conf.open_store(upgrading=True) as store:
        store.init_schema()
        blocked = backfill_person_blocks(store)  # a store written before Person's identity blocks existed
        keyed = index_all(store)  # and its guns' straw lookup keys (loaders/straw_keys.py)
        # and the analysis state the incremental run updates (dealer counts, network sums, serial groups, corridor
        # cells), each computed here once when an older version's analysis lacks it
        migrated = stored_state.migrate(store)
        pending = stored_state.pending_full_analysis(store)
        new = not retention.has_policy(store)
        if new:
            retention.set_policy(store, retention.policy_named(retention.DEFAULT_POLICY))
        policy = retention.current_policy(store)
        run_checkpoint(store)  # the schema (and any migration) into the file, not left in the log
    where = conf.db if conf.store == "embedded" else conf.neo4j_uri
    err.print(f"schema ready in {conf.store} store {where}")
    if blocked:
        err.print(f"identity-resolution blocks computed for {blocked:,} stored persons")
    if keyed:
        err.print(f"straw lookup keys written for the stored guns: {keyed:,}")
    analysed = {k: v for k, v in migrated.items() if v}
    if analysed:
        err.print("analysis state stored for the incremental runs: "
                  + ", ".join(f"{k} {v:,}" for k, v in analysed.items()), highlight=False)
    if pending:
        err.print(f"the next analysis must be a full one ({pending.split(': run')[0]}): run `tracegraph analyze`; "
                  "the analysis state it rewrites was not migrated", highlight=False)
    err.print(f"retention policy: {policy.name}" + (" (the default; see `tracegraph retention policy`)" if new
                                                    else ""), highlight=False)


def stats(ctx: typer.Context,
          as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False) -> None:
    """Count nodes per label and relationships per type (every one, zeros included)."""
    with settings(ctx).open_store() as store:
        counts = store.counts()
    if as_json:
        emit_json(counts)
        return
    for section in ("nodes", "relationships"):
        table = Table(title=section)
        table.add_column("name")
        table.add_column("count", justify="right")
        for name, count in counts[section].items():
            table.add_row(name, f"{count:,}")
        out.print(table)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("stats")(stats)
    app.add_typer(store_app, name="store")
