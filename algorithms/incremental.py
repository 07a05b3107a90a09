"""``tracegraph analyze --incremental``: update what the rows loaded since the last analysis touch, leave the rest.

Which rows are new: the load runs (``LoadRun``) not among the ``input_runs`` of the latest ``AnalysisRun``. Every
node a trace, multiple-sale, NIBIN or lost/stolen load writes carries that load's run id (``load_run_id``; NIBIN
leads carry it on the relationship), so the new runs name the new recoveries, firearms, persons, leads and reports.
A new FFL list, inspection, hotspot or state-table file changes facts many scores share (a dealer's place, a
state's counts): the incremental run then says so and runs the full analysis instead.

What is recomputed, and how it equals a full re-analysis
--------------------------------------------------------
* **Straw scores** (exact). A person's indicators depend on their own purchases and recoveries and on the groups
  they share with others (a dealer-day, an address, a possessor, a NIBIN lead, a supply line, a recovery city,
  a corridor, a dealer's multiple-sale counter): the persons on new rows (the *seeds*), plus everyone sharing a
  group with a seed that could now tie them, are the persons whose points can change (``changed``). Their
  features are computed by the same code as the full run (:func:`algorithms.straw_features.compute`) on the rows
  of them and every member of every group they belong to (the *closure*), which makes each of their groups, and so
  each of their indicators and ties, complete. Those rows are read around the seeds with key-bound Cypher, never
  as whole tables (:mod:`algorithms.straw_neighbourhood`; a group above its size limit ties nobody either way: one
  stored as such (``StrawGroup``, :mod:`algorithms.straw_groups`: written by the full run, added to by each batch
  that makes one big) is not read at all, another only until more members than the limit are known). Groups only
  grow between full analyses: loads add rows, and a retention purge (the one removal) marks the store so that the
  next analysis must be a full one (``rows_removed``: this run refuses). So must the first analysis after an
  upgrade that changed the scoring rules (:func:`algorithms.straw.rules`, recorded by every full run): stored
  points and sums of other rules would be moved, not recomputed. Points of tied persons outside the
  changed set are read back by key (``Person.straw_points``).
  A person tied to a changed one but outside ``changed`` keeps their points and every tie with its weight (every
  group whose membership changed holds a seed, and its members are in ``changed`` unless it was already too big
  to tie: see :func:`_moved`), so only their propagation can move, by the change of their changed partners'
  positive own points: their stored network sum (``Person.straw_network``, the uncapped sum propagation is taken
  from) plus ``w * (new - old)`` per changed partner (the old own points read back before the write). Only those
  whose sum moved are rescored, and no row of theirs beyond the closure is read. A sum moved that way is within
  ~1e-15 of a fresh one (on the streamed test worlds, bit-equal); the indicators show it rounded to 9 decimals
  and then 2, in the full run too (:func:`algorithms.straw.network_line`), so the shown value is the same unless
  the sum lies within ~1e-15 of a 9-decimal rounding boundary. The one place an ulp shows: two persons with
  exactly equal full-run scores, one of them moved by a delta an ulp off, can swap places in the queue (the tie
  is broken by person_key only when the scores are bit-equal). A store analysed before the sums were stored gets
  them once (:func:`algorithms.stored_state.fill_straw_network`). Ranks are not stored
  (:mod:`algorithms.straw_rank` derives them from the scores when read), so a new high score writes one row, not
  the rank of everyone below it.
* **Dealer rates and anomalies** (exact): the model is refitted over the per-dealer counts stored on the
  Dealer nodes (:mod:`algorithms.dealer_counts`), the counts of the dealers a touched gun counts for updated by
  the delta of the gun's share (its stored share, ``Firearm.dealer_counts``, out; its share now, from its own rows
  read by key, in; the guns of its serial batch folded in for the stopped events). A count that changes moves its
  peers' expectations, so every dealer's score is refitted (over ~61k stored rows at national scale); the store
  writes only the values that changed.
* **Serial batches** (exact): from the stored serial groups (:mod:`algorithms.serial_groups`): the groups the
  new traces' guns join are read back and their runs scored; the Bonferroni count (groups holding a run) only
  rises, so the other stored batches are rescored from their stored group sizes and dropped once below the
  threshold. Only the guns whose batch changed are written.
* **Corridors, hubs** (exact): the new traces' corridor cells (:mod:`algorithms.corridor_cells`) are added to the
  stored ones, and the corridor models refit over the cell table instead of every trace. The new traces' rows
  (and the alerts' recovery rows, :func:`new_recoveries`) are read by key (:mod:`algorithms.trace_rows`): no
  whole table is read unless a store's last full analysis predates the stored counts (the migrations).
* **Networks** (approximate, tolerance measured in ``tests/analytics/test_incremental.py`` and
  docs/alerts.md): Leiden is global, so a new tie does not re-partition the graph. A person newly tied to members
  of a network joins the network holding most of their tie weight (if it stays within ``MAX_NETWORK_SIZE``);
  persons tied only to each other outside any network form a new network. Network scores and review ranks, and
  person centrality, wait for the next full run (the weekly run). The joins: :mod:`algorithms.network_joins`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa

from algorithms import analyze as full
from algorithms import batches as serial_batches
from algorithms import (
    dealer_counts,
    network_joins,
    serial_groups,
    straw,
    straw_features,
    straw_groups,
    straw_member_index,
    trace_lane,
)
from algorithms import dealers as dealer_scoring
from algorithms.corridors import Corridors
from algorithms.frames import distinct_strings, mapped
from algorithms.runs import NeedsFullAnalysis, new_load_runs
from algorithms.store_order import persons_in_store_order
from algorithms.stored_state import fill_straw_network, full_analysis_reason
from algorithms.straw_neighbourhood import GROUP_LIMITS, Neighbourhood, neighbourhood_sizes, restrict
from algorithms.tables import AnalysisTables, isin, load_tables
from graph import run_keys, side_table
from graph.store import GraphStore, Result, StoredRows, reader
from loaders.domain import straw_keys
from loaders.domain.names import address_keys

#: the columns of :attr:`IncrementalResult.recoveries` (see :func:`new_recoveries`)
RECOVERY_COLUMNS = ["trace_id", "firearm_key", "recovery_state", "recovery_city", "recovery_date",
                    "time_to_crime_days", "serial_normalized", "dealer_key", "dealer_state", "purchaser_key",
                    "sale_id", "possessor_key", "stolen_report_id", "reported_date"]
#: the columns of :attr:`IncrementalResult.straw`
SCORED_COLUMNS = ["person_key", "points", "propagation", "score", "indicators", "network", "previous"]
__all__ = ["GROUP_LIMITS", "NeedsFullAnalysis", "restrict"]  # re-exported


@dataclass(frozen=True)
class Touched:
    """What the new rows touch."""

    new_runs: list[str]
    seeds: set[str]            # persons on new rows
    changed: set[str]          # persons whose own points may change (seeds + group mates a new row may tie)
    rescored: set[str]         # changed + the persons tied to them whose propagation moved (their points did not)
    closure: int               # members of the changed persons' groups: whose rows were read (the changed exactly)
    new_traces: int
    new_firearms: int
    trace_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class IncrementalResult:
    run_id: str
    base_run: str
    touched: Touched
    # rescored persons: person_key, points, propagation, score, indicators, network, and previous: the score stored
    # before this run (NaN for none; read with the partners' stored scores, the new-lead rule compares it)
    straw: pd.DataFrame
    dealers: dealer_scoring.DealerScores | None
    corridors: dict[str, Corridors]
    hubs: pd.DataFrame
    batches: list[serial_batches.Batch] | None
    serial: serial_groups.SerialState | None  # the serial groups and batch changes to write (None: no new traces)
    joins: pd.DataFrame              # person_key, network_id: persons joining (or forming) a network
    recoveries: pd.DataFrame         # the new recoveries with their gun, purchasers, possessor, dealer (alerts)
    cells: pd.DataFrame              # the corridor cells the new traces touched (algorithms.corridor_cells)
    timings: dict[str, float] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    cpu_timings: dict[str, float] = field(default_factory=dict)  # CPU seconds per stage (timings are wall)
    # the straw groups found too big to tie (algorithms/straw_groups.py): the ones this batch made big, or every
    # one (``straw_groups_whole``: the migration of a store analysed before they were stored)
    straw_groups: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=straw_groups.COLUMNS))
    straw_groups_whole: bool = False
    # the trace lane's results (dealers, corridors, hubs, cells, serial) were written while the person lane ran
    # (analyze_incremental's trace_done): write_back writes the rest only
    lane_written: bool = False
    # the rescored persons' Person rows as the straw stage read them (the write back's upsert takes them instead of
    # reading them again, if nothing was written since: graph.store.StoredRows)
    stored_persons: StoredRows | None = None


# --- which persons the new rows touch -------------------------------------------------------------------------

def _of_runs(store: GraphStore, statement: str, runs: set[str], recorded: dict[str, pa.Table] | None,
             name: str, column: str, empty: list[str]) -> pd.DataFrame:
    """The rows of ``statement`` for what the runs wrote last: by key among the keys the runs recorded
    (``recorded[name][column]``, :mod:`graph.run_keys`) when there is a record, else by the statement's scan of the
    run ids (filtered in the engine; it grows with the history). The two give the same rows. ``empty``: the
    columns of the frame when nothing was written."""
    params: dict[str, object] = {"runs": sorted(runs)}
    if recorded is not None:
        found = recorded.get(name)
        keys = [] if found is None else sorted(distinct_strings(found.column(column)).to_pylist())
        if not keys:
            return pd.DataFrame({c: [] for c in empty}, dtype=object)
        statement, params["keys"] = statement + "_keyed", keys
    rows = store.query(statement, params).df()
    return rows if len(rows) else pd.DataFrame({c: [] for c in empty}, dtype=object)


def _new_keys(store: GraphStore, statement: str, runs: set[str], recorded: dict[str, pa.Table] | None,
              name: str) -> set[str]:
    """Keys of the nodes ``name`` the runs wrote last (:func:`_of_runs`)."""
    return set(_of_runs(store, statement, runs, recorded, name, "key", ["key"])["key"])


def _seeds(store: GraphStore, runs: set[str]) -> tuple[set[str], set[str], set[str]]:
    """(persons, recoveries, firearms) written by the new runs, with the purchasers and possessors they reach:
    Cypher reads keyed by the new rows (``cypher/straw_*.cypher``), never a whole table. The new rows themselves
    are read by the keys the runs recorded (:mod:`graph.run_keys`: batch-sized), or found by scanning the run ids
    where a run has no record."""
    if not runs:
        return set(), set(), set()
    recorded = run_keys.keys_of(store, runs)
    persons = _new_keys(store, "persons_of_runs", runs, recorded, "Person")
    traces = _new_keys(store, "recoveries_of_runs", runs, recorded, "Recovery")
    guns = _new_keys(store, "firearms_of_runs", runs, recorded, "Firearm")
    leads = _of_runs(store, "nibin_leads_of_runs", runs, recorded, "NIBIN_LINK", "src", ["src", "dst"])
    reports = _new_keys(store, "theft_reports_of_runs", runs, recorded, "TheftReport")
    linked = set(leads["src"]) | set(leads["dst"]) | traces
    guns |= _keyed(store, "straw_guns_recovered_in", linked, "src")
    guns |= _keyed(store, "straw_guns_of_reports", reports, "key")
    recs = _keyed(store, "straw_recovered", guns, "dst") | linked
    persons |= _keyed(store, "straw_buyers_of_firearms", guns, "key")
    persons |= _keyed(store, "straw_possessed_of_recoveries", recs, "dst")
    return persons, traces, guns


def _keyed(store: GraphStore, statement: str, keys: set[str], column: str) -> set[str]:
    if not keys:
        return set()
    found = store.query(statement, {"keys": sorted(keys)}).df()
    return set(found[column]) if len(found) else set()


def fill_address_keys(store: GraphStore) -> int:
    """The migration for ``Person.address_key`` (a store loaded before it existed): compute the key of every
    person without one. Returns how many were filled (none once done: a load writes the key of the persons it
    writes)."""
    missing = store.query("persons_address_unkeyed").df()
    if missing.empty:
        return 0
    store.upsert_nodes("Person", pd.DataFrame({"person_key": missing["person_key"],
                                               "address_key": address_keys(missing)}))
    return len(missing)


def new_recoveries(t: AnalysisTables, traces: set[str]) -> pd.DataFrame:
    """``t``: the new traces' rows (:func:`algorithms.trace_rows.of_traces`) or the whole tables (the same answer).
    One row per (new recovery, purchaser): trace_id, firearm_key, serial_normalized, dealer_key,
    dealer_state, recovery_state, recovery_city, recovery_date, time_to_crime_days, purchaser_key,
    possessor_key, sale_id, stolen_report_id and reported_date (the earliest lost/stolen report)."""
    rec = t.recovered[isin(t.recovered["dst"], traces)].rename(columns={"src": "firearm_key", "dst": "trace_id"})
    rec = rec.merge(t.recoveries.rename(columns={"key": "trace_id"})[
        ["trace_id", "recovery_state", "recovery_city", "recovery_date", "time_to_crime_days"]], on="trace_id")
    rec = rec.merge(t.firearms.rename(columns={"key": "firearm_key"})[["firearm_key", "serial_normalized"]],
                    on="firearm_key", how="left")
    sold = t.sold.rename(columns={"src": "dealer_key", "dst": "firearm_key"}).drop_duplicates("firearm_key")
    rec = rec.merge(sold[["firearm_key", "dealer_key"]], on="firearm_key", how="left")
    states = t.dealers.rename(columns={"key": "dealer_key", "premise_state": "dealer_state"})
    rec = rec.merge(states[["dealer_key", "dealer_state"]], on="dealer_key", how="left")
    buyers = t.purchases.rename(columns={"src": "purchaser_key", "dst": "firearm_key"})[
        ["purchaser_key", "firearm_key", "sale_id"]]
    rec = rec.merge(buyers, on="firearm_key", how="left")
    possessor = t.possessed.rename(columns={"src": "trace_id", "dst": "possessor_key"}).drop_duplicates("trace_id")
    rec = rec.merge(possessor, on="trace_id", how="left")
    stolen = t.stolen.rename(columns={"src": "firearm_key", "dst": "stolen_report_id"}).sort_values(
        ["firearm_key", "reported_date", "stolen_report_id"]).drop_duplicates("firearm_key")
    return rec.merge(stolen[["firearm_key", "stolen_report_id", "reported_date"]], on="firearm_key",
                     how="left").reset_index(drop=True)


# --- the run ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PersonLane:
    """What the person lane found: the straw neighbourhood (None: no person on the new rows), the changed persons
    and the closure read around them, the rescored persons, the Person rows their scores were read from, the
    network joins."""

    hood: Neighbourhood | None
    changed: set[str]
    closure: set[str]
    scored: pd.DataFrame
    stored_persons: StoredRows | None
    joins: pd.DataFrame


def analyze_incremental(store: GraphStore, *, progress: Callable[[str], None] | None = None, parallel: bool = True,
                        trace_done: Callable[[trace_lane.TraceLane, str], None] | None = None
                        ) -> IncrementalResult:
    """Compute what the new load runs change (nothing is written here; see :func:`write_back`).

    Two lanes share nothing: the person lane (the straw neighbourhood, features and scores, the network joins) and
    the trace lane (:mod:`algorithms.trace_lane`). With ``parallel`` and a store that offers a reader
    (:func:`graph.store.reader`), the person lane runs in a thread of its own on it while the trace lane runs in the
    caller's; the results are the same either way (the stages' CPU seconds then overlap). ``trace_done(lane,
    run_id)``: called in the caller's thread once the trace lane is done while the person lane still runs (only
    then), so the caller can write the trace lane's results meanwhile (:func:`algorithms.alerts.analyze_and_alert`,
    inside the transaction the rest then joins: the person lane reads what was committed before it)."""
    say = progress or (lambda _message: None)
    timings: dict[str, float] = {}

    cpu: dict[str, float] = {}
    timed = full.stage_timer(say, timings, cpu)

    base_run, runs, kinds = new_load_runs(store)
    base = store.node_table("AnalysisRun", ("parameters",)).to_pandas().set_index("key").at[base_run, "parameters"]
    base_parameters = json.loads(base or "{}")
    run_set = set(runs)
    seeds, traces, guns = timed("seeds", lambda: _seeds(store, run_set))
    reason = full_analysis_reason(base_parameters, scoring=bool(seeds))
    if reason:
        raise NeedsFullAnalysis(reason)
    identity = json.dumps({"base": base_run, "inputs": sorted(runs)}, sort_keys=True)
    run_id = "analysis-inc-" + hashlib.sha256(identity.encode()).hexdigest()[:16]
    every_group: pd.DataFrame | None = None
    if seeds:  # the straw stage reads the seeds' neighbourhood, never the whole tables
        timed("address_keys", lambda: fill_address_keys(store))
        if not base_parameters.get("straw_network"):  # a store analysed before the network sums were stored
            timed("straw_network", lambda: fill_straw_network(store))
        if not base_parameters.get("straw_groups"):  # the migration: every big group, counted with this batch in
            # (so this run does not take them for groups big before it: it reads its groups as before)
            every_group = timed("straw_groups", lambda: straw_groups.of_tables(load_tables(store)))
    written = False
    with ExitStack() as lanes:
        # the person lane beside the trace lane, on a second connection: unless there is one lane only, the store
        # has no reader or the trace lane migrates (it then writes the schema)
        other = lanes.enter_context(reader(store)) if (
            parallel and seeds and traces and not trace_lane.migrating(base_parameters)) else None
        beside = lanes.enter_context(ThreadPoolExecutor(1, thread_name_prefix="person-lane")).submit(
            _person_lane, other, seeds, every_group, timed, True) if other is not None else None
        lane = trace_lane.run(store, traces, guns, base_parameters, timed)
        if beside is not None and trace_done is not None:
            trace_done(lane, run_id)
            written = True
        person = beside.result() if beside is not None else _person_lane(store, seeds, every_group, timed)
    hood, changed, closure, scored, joins = person.hood, person.changed, person.closure, person.scored, person.joins
    touched = Touched(new_runs=runs, seeds=seeds, changed=changed, rescored=changed | set(scored["person_key"]),
                      closure=len(closure), new_traces=len(traces), new_firearms=len(guns),
                      trace_ids=frozenset(traces))
    t, serial, dealers, corridors = lane.tables, lane.serial, lane.dealers, lane.corridors
    new_traces = lane.new_traces

    all_runs = sorted(store.node_table("LoadRun").column("key").to_pylist())
    parameters = {**{k: v for k, v in base_parameters.items() if k != "mode"}, "mode": "incremental",
                  "base_run": base_run, "new_runs": sorted(runs), "input_runs": all_runs,
                  "code_version": full.code_version()}
    if hood is not None:  # the network sums are stored now (filled here if the base run predates them)
        parameters["straw_network"] = 1
        parameters["straw_groups"] = 1  # likewise the big straw groups (written back with this run)
    if new_traces:  # the cells are in the store now (counted whole here if the base run predates them)
        parameters["corridor_cells"] = 1
        parameters["dealer_counts"] = 1  # likewise the per-dealer counts, the guns' shares and the serial groups
        parameters[dealer_counts.GUN_FLAG] = 1
        parameters["serial_groups"] = serial_groups.STORED
    summary = {"mode": "incremental", "new_runs": {r: kinds[r] for r in sorted(runs)}, "seed_persons": len(seeds),
               "persons_changed": len(changed), "persons_rescored": len(scored),
               "persons_propagated": int(len(scored) - len(set(scored["person_key"]) & changed)),
               "persons_read": len(closure),
               "new_traces": len(traces), "network_joins": len(joins),
               "neighbourhood": {} if hood is None else neighbourhood_sizes(hood),
               "dealers_rescored": 0 if dealers is None else len(dealers.table),
               "dealers_recounted": 0 if dealers is None else len(dealers.counts),
               "corridors": {name: len(found.table) for name, found in corridors.items()}}
    return IncrementalResult(run_id=run_id, base_run=base_run, touched=touched, straw=scored,
                             dealers=dealers, corridors=corridors, hubs=lane.hubs,
                             batches=None if serial is None else serial.batches, serial=serial,
                             joins=joins,
                             recoveries=new_recoveries(t, traces) if t is not None
                             else pd.DataFrame(columns=RECOVERY_COLUMNS), cells=lane.cells,
                             timings=timings, parameters=parameters, summary=summary, cpu_timings=cpu,
                             straw_groups=every_group if every_group is not None else _grown(hood),
                             straw_groups_whole=every_group is not None, stored_persons=person.stored_persons,
                             lane_written=written)


def straw_stages(store: GraphStore, seeds: set[str], every_group: pd.DataFrame | None, timed: trace_lane.Timed
                 ) -> tuple[Neighbourhood, set[str], set[str], straw_features.PersonFeatures]:
    """The person lane's first stages (:func:`_person_lane`), each timed: the straw neighbourhood of the seeds
    (``seeds`` not empty), the changed persons (``changed``), the closure read around them (``closure``) and the
    features of the changed persons (``straw_features``: their values, every closure member's purchases and ties).
    ``every_group``: the big groups counted from the whole tables (a migration; None: read the stored ones).
    ``bench/closure_needs.py`` measures these stages by calling this."""
    dealers = store.node_table("Dealer", ("premise_state", "lat", "lon"))
    hood = Neighbourhood(store, dealers.to_pandas(), stored_groups=every_group is None,
                         keyed=straw_keys.marked(store), side=side_table.open_tables(store), dealer_table=dealers)

    def changed_persons() -> set[str]:
        hood.index = straw_member_index.open_index(hood.side)  # (first brought up to the side table's newest part)
        return hood.mates(seeds, tying=True, exclude=seeds)

    changed = timed("changed", changed_persons)
    closure = timed("closure", lambda: hood.mates(changed, tying=False))
    if hood.index is not None:  # every membership the lane reads is known: the index's maps go, their pages (~0.6 GB
        hood.index.close()  # at national batch 1) no longer in the RSS of the features, the scores, the joins beside
    # the changed persons' values (the only ones scored), every closure member's purchases and ties
    features = timed("straw_features", lambda: straw_features.compute(hood.restricted(closure),
                                                                      too_big=hood.too_big(), only=changed))
    return hood, changed, closure, features


def _person_lane(store: GraphStore, seeds: set[str], every_group: pd.DataFrame | None, timed: trace_lane.Timed,
                 parallel: bool = False) -> PersonLane:
    """The straw neighbourhood of the seeds, the changed persons' features and scores, the network joins (reads
    only: ``store`` may be a reader's handle in a thread of its own). ``parallel``: the network joins in a thread
    of their own beside the scores, on a reader of ``store`` if it has one."""
    if not seeds:  # no person on the new rows (or no new rows, or a store without purchases): no score moves
        return PersonLane(hood=None, changed=set(), closure=set(), scored=pd.DataFrame(columns=SCORED_COLUMNS),
                          stored_persons=None, joins=pd.DataFrame(columns=["person_key", "network_id"]))
    hood, changed, closure, features = straw_stages(store, seeds, every_group, timed)

    def networks(on: GraphStore) -> pd.DataFrame:
        return cast(pd.DataFrame, timed("networks", lambda: network_joins.joins(
            on, features.pairs, changed, features.purchases["person_key"])))

    with ExitStack() as beside:  # the network joins beside the scores (they share only the features)
        other = beside.enter_context(reader(store)) if parallel else None
        joined = beside.enter_context(ThreadPoolExecutor(1, thread_name_prefix="network-joins")).submit(
            networks, other) if other is not None else None
        scored, stored_persons = timed("straw", lambda: _scores(store, features, changed, hood.side))
        joins = joined.result() if joined is not None else networks(store)
    return PersonLane(hood=hood, changed=changed, closure=closure, scored=scored, stored_persons=stored_persons,
                      joins=joins)


def _grown(hood: Neighbourhood | None) -> pd.DataFrame:
    """The groups the run found too big to tie that the store does not hold yet (group_id, straw_members)."""
    grown = {} if hood is None else hood.grown
    return pd.DataFrame({"group_id": pd.Series(list(grown), dtype=object),
                         "straw_members": pd.Series(list(grown.values()), dtype="int64")})


def _scores(store: GraphStore, features: straw_features.PersonFeatures, changed: set[str],
            side: side_table.SideTables | None = None) -> tuple[pd.DataFrame, StoredRows | None]:
    """Scores of the changed persons (computed) and of the persons tied to them whose propagation moved (moved by
    the change): person_key, points, propagation, score, indicators, network.

    The changed persons' ties are complete in ``features`` (every group of theirs was read whole, or far enough to
    tie nobody). Their partners' stored points, indicators and network sums are read back by key
    (``straw_stored_scores``), and so are the changed persons' own (the points before this batch). A partner ``X``
    outside ``changed`` keeps its points and every tie with its weight (see :func:`_moved`), so its network
    sum moves by ``w_XA * (pos(own_A new) - pos(own_A old))`` over the changed ``A`` tied to it; only those whose
    sum moved are rescored. Also returns the stored rows as read (:func:`_as_read`). ``side``: the store's side
    table, which puts the persons read in store order without asking the store (when it keeps their places)."""
    # own points and indicators of the changed purchasers only (a person's points are their own values'; the rest
    # of the closure is there for the ties): no ties passed, the network line is put in below
    keys = pd.Series(list(changed), dtype="str")  # (hashed once for every lookup below)
    values = features.values[isin(features.values.index.to_series(), keys)]
    own = straw.own_evidence(values)
    # in the order a scored table has them (score, then person_key; the score is the points until the network's
    # are added)
    at = pd.DataFrame({"points": own.points.to_numpy(), "key": own.points.index}).sort_values(
        ["points", "key"], ascending=[False, True]).index.to_numpy()
    exact = own.points.index[at]
    # the ties at a changed person (those of a pair come from its rows alone, so cutting the rows first keeps them)
    pairs = features.pairs
    ties = straw.tie_weights(pairs[isin(pairs["a"], keys) | isin(pairs["b"], keys)])
    # the partners and the changed persons, each once (every partner is an ``a`` of the ties: they hold each pair
    # both ways), hashed in Arrow rather than as Python strings (read in store order: see below)
    wanted = distinct_strings(pa.array(ties["a"], pa.string(), from_pandas=True),
                              pa.array(exact, pa.string(), from_pandas=True)).to_pylist()
    # the side table's copy of the stored rows where it keeps them (graph/side_table.SCORES); else read in the order
    # the store holds the persons (algorithms/store_order.py: the same rows, ~5x cheaper), from the side table's
    # places or else asked of the store (none of them stored: asked as they are, to read nothing)
    read = _stored_scores(store, side, wanted)
    stored = read.df() if read is not None else pd.DataFrame()
    if stored.empty:
        stored = pd.DataFrame(columns=["key", "straw_score", "straw_points", "straw_indicators", "straw_network"])
    stored = stored[stored["straw_score"].notna()].drop_duplicates("key").set_index("key")
    if stored["straw_points"].isna().any():
        raise NeedsFullAnalysis("the last analysis did not record straw points (an older version): run a full "
                                "`tracegraph analyze` once")
    # own evidence (straw.TIE_INDICATORS left out): before this batch from what is stored, after it the computed
    # one for the changed persons and the stored one for everyone else
    before = stored["straw_points"].astype(float) - straw.tie_points_from_indicators(stored["straw_indicators"])
    points = own.points.iloc[at]
    computed = points - own.tie.iloc[at]
    after = pd.concat([before[~isin(before.index.to_series(), keys)], computed])
    network = straw.propagated(ties[isin(ties["a"], exact)], after).reindex(exact).fillna(0.0)
    propagation = straw.network_points(network, own.collector.iloc[at])
    table = pd.DataFrame({"person_key": exact, "points": points.to_numpy(), "propagation": propagation.to_numpy(),
                          "score": (points + propagation).to_numpy(), "network": network.to_numpy(float),
                          "previous": stored["straw_score"].reindex(exact).to_numpy(float)})
    # indicators: the person's own (computed exactly) plus the network line with the true propagation
    table["indicators"] = [straw.indicators_text(own.items[i], float(p), float(n)) for i, p, n in
                           zip(at, propagation, network, strict=True)]
    scored = pd.concat([table, _moved(stored, ties, changed, before, after)], ignore_index=True)
    return scored, _as_read(store, read, wanted)


def _stored_scores(store: GraphStore, side: side_table.SideTables | None, wanted: list[str]) -> Result | None:
    """What ``straw_stored_scores`` answers for ``wanted`` (None: nothing asked)."""
    if not wanted:
        return None
    ordered = side.in_store_order(wanted) if side is not None else None
    kept = side.stored_scores(ordered or wanted) if side is not None else None
    if kept is not None:
        return Result(kept)
    return store.query("straw_stored_scores", {"keys": ordered or persons_in_store_order(store, wanted) or wanted})


def _as_read(store: GraphStore, read: Result | None, wanted: list[str]) -> StoredRows | None:
    """The Person rows of ``wanted`` as ``_scores`` read them (every person it rescores is among them), for the
    write back's upsert (:class:`graph.store.StoredRows`): None on a store that counts no writes."""
    writes = getattr(store, "writes", None)
    if read is None or not isinstance(writes, int):
        return None
    table = read.arrow()
    return StoredRows(table=table.rename_columns(["person_key" if c == "key" else c for c in table.column_names]),
                      asked=pa.array(wanted, pa.string()), writes=writes)


def _moved(stored: pd.DataFrame, ties: pd.DataFrame, changed: set[str], before: pd.Series, after: pd.Series
           ) -> pd.DataFrame:
    """The scored persons outside ``changed`` tied to a changed person whose positive own points moved: their
    stored network sum plus the change, their points as stored.

    Why their ties are as they were: a person's groups change only through new rows, and every new row names a
    seed (its purchaser, possessor, or the purchasers of the guns it links), so every group whose membership (or
    whose members' dates, behind a windowed tie's specificity) changed holds a seed. ``changed`` holds every
    member of each such group that still ties (counting members outside the seeds, a group already too big to tie
    stays too big, and ties no one before or after); a group that grew past its limit with the seeds had at most
    its limit without them, so its members are in ``changed`` too. So a person outside ``changed`` has the same
    groups with the same members as before: the same partners and the same weights (``tie_weights`` keeps the
    first row of a pair, and the rows of a pair come from those groups alone), and the same points."""
    keys = pd.Series(list(changed), dtype="str")  # (hashed once for both lookups)
    outside = ties[~isin(ties["a"], keys) & isin(ties["b"], keys)]
    outside = outside[isin(outside["a"], stored.index)]
    if outside.empty:
        return pd.DataFrame(columns=SCORED_COLUMNS)
    old = before.clip(lower=0.0)
    new = after.clip(lower=0.0)
    change = mapped(outside["b"], new) - mapped(outside["b"], old)
    # every change counts, down to an ulp: a partner who gained a tie indicator has own points (points less the
    # tie points) an ulp from the old ones, and the full run sums the new value; a score equal to another's must
    # stay equal for the queue's order (score, then person_key)
    delta = straw.summed_by(outside["weight"].to_numpy(float) * change, outside["a"])
    delta = delta[delta != 0.0]
    if delta.empty:
        return pd.DataFrame(columns=SCORED_COLUMNS)
    mine = stored.loc[delta.index]
    if mine["straw_network"].isna().any():
        raise NeedsFullAnalysis("a scored person has no stored network sum (Person.straw_network): run a full "
                                "`tracegraph analyze` once")
    network = mine["straw_network"].astype(float) + delta
    propagation = straw.network_points(network, straw.collector_from_indicators(mine["straw_indicators"]))
    points = mine["straw_points"].astype(float)
    table = pd.DataFrame({"person_key": delta.index, "points": points.to_numpy(),
                          "propagation": propagation.to_numpy(), "score": (points + propagation).to_numpy(),
                          "network": network.to_numpy(float), "previous": mine["straw_score"].to_numpy(float)})
    table["indicators"] = [_with_network(text, float(p), float(n)) for text, p, n in
                           zip(mine["straw_indicators"], propagation, network, strict=True)]
    return table


def in_order_read(people: pd.DataFrame, stored: StoredRows | None) -> pd.DataFrame:
    """``people`` in the order the straw stage read their stored rows, which is the order the store holds them
    (algorithms/store_order.py; persons it did not read last): the upsert's keyed ``SET`` costs less in it (national
    batch 1's 11.6k persons: 0.23-0.25 CPU s against 0.33-0.41 in score order)."""
    if stored is None:
        return people
    read = stored.table.column("person_key").to_pandas().drop_duplicates()
    at = pd.Series(np.arange(len(read), dtype=float), index=read.to_numpy()).reindex(people["person_key"])
    return people.iloc[np.argsort(at.to_numpy(), kind="stable")]


def _with_network(own: str, propagation: float, network: float) -> str:
    items = [item for item in json.loads(own) if item.get("indicator") != "network"]
    line = straw.network_line(propagation, network)
    if line is not None:
        items.append(line)
    return json.dumps(items, sort_keys=True)


def write_back(store: GraphStore, result: IncrementalResult, *, started_at: datetime | None = None) -> None:
    """Write what changed and the AnalysisRun record (mode incremental, with its base run and new load runs)."""
    run = result.run_id
    people = result.straw.rename(columns={"score": "straw_score", "points": "straw_points",
                                          "indicators": "straw_indicators"})
    people = people.rename(columns={"network": "straw_network"})[
        ["person_key", "straw_score", "straw_points", "straw_indicators", "straw_network"]].assign(analysis_run_id=run)
    if len(people):  # the rescored persons' scores only: ranks are derived when read (algorithms/straw_rank.py)
        store.upsert_nodes("Person", in_order_read(people, result.stored_persons), stored=result.stored_persons)
    if len(result.joins):
        network_joins.write(store, result.joins, run)
    if not result.lane_written:
        trace_lane.write(store, trace_lane.TraceLane(
            tables=None, new_traces=result.serial is not None, serial=result.serial, dealers=result.dealers,
            cells=result.cells, corridors=result.corridors, hubs=result.hubs), run)
    if result.straw_groups_whole or len(result.straw_groups):  # the big straw groups (every one on a migration)
        straw_groups.write(store, result.straw_groups, run, whole=result.straw_groups_whole)
    from algorithms.stolen_hits import mark_hits, runs_to_check, unchecked

    # the loads that did not check their own hits (each load command does); after trace loads, their recoveries only
    check = runs_to_check(unchecked(store, result.summary["new_runs"]))
    if check is None or check:
        mark_hits(store, check)
    now = datetime.now(UTC).replace(tzinfo=None)
    store.upsert_nodes("AnalysisRun", [{
        "run_id": run, "started_at": (started_at or now).replace(tzinfo=None), "finished_at": now,
        "seed": int(result.parameters.get("seed", 0)), "code_version": result.parameters.get("code_version"),
        "parameters": json.dumps({k: v for k, v in result.parameters.items() if k != "input_runs"},
                                 sort_keys=True, default=str),
        "input_runs": json.dumps(result.parameters.get("input_runs", [])),
        "timings": json.dumps(result.timings, sort_keys=True),
        "summary": json.dumps(result.summary, sort_keys=True, default=str)}])
    run_keys.prune(store)  # every run the store holds is analysed now: their records are not read again
