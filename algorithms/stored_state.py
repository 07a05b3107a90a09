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

None of the analysis state is computed when the next analysis must be a full one anyway
(:func:`full_analysis_reason`: the scoring rules changed with an upgrade, or a retention purge removed rows): the
full run rewrites all of it, so ``init`` would spend minutes at national scale on state nobody reads.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from algorithms import dealer_counts, serial_groups, straw, straw_features, straw_groups
from algorithms.runs import latest_analysis, mark_latest_analysis
from algorithms.straw_neighbourhood import Neighbourhood
from algorithms.tables import isin
from graph.store import GraphStore
from loaders.domain import straw_keys


def migrate(store: GraphStore) -> dict[str, int]:
    """Every step the store needs (see the module text); returns how many rows each step that ran wrote
    (persons, dealers, groups or cells)."""
    from algorithms.incremental import fill_address_keys

    store.init_schema()  # the properties the steps write, on a store written before them
    done = {"address_keys": fill_address_keys(store)}
    latest = latest_analysis(store)
    if latest is None:
        return done
    parameters = json.loads(latest.get("parameters") or "{}")
    if full_analysis_reason(parameters):
        return done
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


def migrate_straw_network(store: GraphStore) -> int:
    """:func:`fill_straw_network`, then mark the latest analysis as holding the sums (what the first incremental
    run does otherwise, with one scan of the persons for missing sums). Returns how many were filled."""
    filled = fill_straw_network(store)
    mark_latest_analysis(store, "straw_network")
    return filled


def fill_straw_network(store: GraphStore) -> int:
    """The migration for ``Person.straw_network`` (a store analysed before it was stored): the network sum of every
    scored person without one. Below the cap and outside the collector pattern it is the stored propagation over
    the propagation weight (``score - points`` is within ~1e-15 of the propagation); a capped person's or a
    collector's (their propagation says nothing of it) is summed from their ties, read around them as the
    incremental run reads the changed persons'. Returns how many were filled (none once done)."""
    store.init_schema()  # the property itself, on a store written before it existed
    missing = store.query("straw_network_missing").df()
    if missing.empty:
        return 0
    missing = missing.drop_duplicates("key").set_index("key")
    propagation = missing["straw_score"].astype(float) - missing["straw_points"].astype(float)
    collector = straw.collector_from_indicators(missing["straw_indicators"])
    derived = ~collector & (propagation < straw.PROPAGATION_CAP - 1e-6)
    network = (propagation[derived] / straw.PROPAGATION_WEIGHT).clip(lower=0.0)
    summed = set(missing.index[~derived.to_numpy()])
    if summed:
        hood = Neighbourhood(store, store.node_table("Dealer", ("premise_state", "lat", "lon")).to_pandas(),
                             keyed=straw_keys.marked(store))
        closure = hood.mates(summed, tying=False)
        ties = straw.tie_weights(straw_features.compute(hood.restricted(closure),
                                                        too_big=hood.too_big()).pairs)
        ties = ties[isin(ties["a"], summed)]
        partners = sorted(set(ties["b"].tolist()))
        stored = store.query("straw_stored_scores", {"keys": partners}).df() if partners else pd.DataFrame()
        own = pd.Series(dtype=float)
        if len(stored):
            stored = stored[stored["straw_score"].notna()].drop_duplicates("key").set_index("key")
            own = stored["straw_points"].astype(float) - straw.tie_points_from_indicators(stored["straw_indicators"])
        sums = straw.propagated(ties, own).reindex(sorted(summed)).fillna(0.0)
        network = pd.concat([network, sums])
    store.upsert_nodes("Person", pd.DataFrame({"person_key": network.index.to_numpy(object),
                                               "straw_network": network.to_numpy(float)}))
    return len(network)


def pending_full_analysis(store: GraphStore) -> str | None:
    """Why the store's next analysis must be a full one whatever is loaded (:func:`full_analysis_reason`), or None
    (also when it holds no analysis yet: the first analysis is a full one, which every command already says)."""
    latest = latest_analysis(store)
    return None if latest is None else full_analysis_reason(json.loads(latest.get("parameters") or "{}"))


def full_analysis_reason(parameters: dict[str, Any], *, scoring: bool = True) -> str | None:
    """Why the next analysis of a store whose latest analysis recorded ``parameters`` must be a full one, or None.
    ``scoring``: whether the straw scoring rules matter (an incremental run with persons to score)."""
    if parameters.get("rows_removed"):  # a retention purge since: groups and ties may have shrunk
        return "a retention purge removed rows since the last analysis: run a full `tracegraph analyze`"
    if scoring and parameters.get("straw") != json.loads(json.dumps(straw.rules())):
        # stored points and network sums are moved by deltas: under other rules (an upgrade changed a weight or
        # what a tie carries) the deltas would start from sums no full run of this version gives
        return ("the straw scoring rules changed since the last full analysis (a new version): run a full "
                "`tracegraph analyze` once")
    return None


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
