"""What an older store lacks before a daily incremental run, computed once: ``tracegraph init`` runs
:func:`migrate` (after the persons' identity blocks, :func:`loaders.entities.backfill_person_blocks`), so the first
daily batch after an upgrade does no migration inside it; ``bench/bench_incremental.py`` does the same on its copy
of a history.

Each step runs only when the store lacks its state (none on a store written and analysed by this version): the
schema's new properties, ``Person.address_key``, and, when the store holds an analysis, the state an incremental run
updates instead of recounting: the per-dealer counts and the guns' shares (:mod:`algorithms.dealer_counts`), the
persons' network sums (``Person.straw_network``), the serial groups with their links (:mod:`algorithms.serial_groups`),
the big straw groups (:mod:`algorithms.straw_groups`) and the trace corridor cells (:mod:`algorithms.corridor_cells`).
Each marks the latest analysis as holding it, as the first incremental run would otherwise do inside that run.
"""

from __future__ import annotations

import json

from algorithms import dealer_counts, serial_groups, straw_groups
from algorithms.runs import latest_analysis, mark_latest_analysis
from graph.store import GraphStore


def migrate(store: GraphStore) -> dict[str, int]:
    """Every step the store needs (see the module text); returns how many rows each step that ran wrote
    (persons, dealers, groups or cells)."""
    from algorithms.incremental import fill_address_keys, migrate_straw_network

    store.init_schema()  # the properties the steps write, on a store written before them
    done = {"address_keys": fill_address_keys(store)}
    latest = latest_analysis(store)
    if latest is None:
        return done
    parameters = json.loads(latest.get("parameters") or "{}")
    if not (parameters.get("dealer_counts") and parameters.get(dealer_counts.GUN_FLAG)):
        done["dealers_counted"] = dealer_counts.migrate(store)
    if not parameters.get("straw_network"):
        done["straw_network"] = migrate_straw_network(store)
    if int(parameters.get("serial_groups") or 0) < serial_groups.STORED:
        done["serial_groups"] = serial_groups.migrate(store)
    if not parameters.get("straw_groups"):
        done["straw_groups"] = straw_groups.migrate(store)
    if not parameters.get("corridor_cells"):
        done["corridor_cells"] = migrate_corridor_cells(store, str(latest["key"]))
    return done


def migrate_corridor_cells(store: GraphStore, run: str) -> int:
    """Count every trace's corridor cell (as a full analysis does) and store them under the latest analysis ``run``;
    returns the cells written."""
    from algorithms.analyze import trace_cells
    from algorithms.tables import load_tables

    cells = trace_cells(load_tables(store))
    store.query("corridor_cells_clear")
    if len(cells):
        store.upsert_nodes("CorridorCell", cells.assign(analysis_run_id=run))
    mark_latest_analysis(store, "corridor_cells")
    return len(cells)
