"""``tracegraph analyze``: every analytic in one run, written back to the graph, recorded as an AnalysisRun.

Steps: pull the analysis tables once -> straw-purchaser features and scores -> dealer anomalies -> the person
projection, Leiden networks and broker centrality -> corridors from traces (state and city level, per year) and
from each loaded state table (ATF's, or another published one; one model per basis) -> hub centrality on the flow
graph -> write back -> AnalysisRun node (seed, parameters, code version, input load runs, timings, summary). The
run id is derived from the inputs, the parameters and the code version, so re-running on the same data yields the
same run and the same results.

Each stage runs when its inputs are in the store and is otherwise skipped with the reason (:data:`NEEDS`), so a
store holding only ATF state tables, or only inspection reports, analyses what it can: the skipped stages are
listed in the run record (``summary["skipped"]``) and on screen.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata, resources
from typing import Any

import numpy as np
import pandas as pd

from algorithms import batches as serial_batches
from algorithms import corridor_cells, dealer_counts, flow_writes, serial_groups, straw, straw_features, straw_groups
from algorithms import dealers as dealer_scoring
from algorithms.centrality import centrality, flow_graph
from algorithms.communities import leiden_cpm
from algorithms.corridors import Corridors, corridors, state_coordinates
from algorithms.networks import COLUMNS as network_columns
from algorithms.networks import network_parameters, network_table, possessors_only
from algorithms.projection import person_projection
from algorithms.retention import PURGED_PREFIX
from algorithms.stolen_hits import mark_hits
from algorithms.tables import AnalysisTables, load_tables
from graph.errors import InvalidInput
from graph.store import GraphStore
from loaders.domain.needs import NEEDS as LOAD_NEEDS

MIN_NETWORK_SIZE = 2
# Networks are Leiden CPM communities of the weighted person projection (algorithms.communities.leiden_cpm): a
# group stays together when its tie weight exceeds NETWORK_RESOLUTION per pair of members. Chosen by the worst
# cells of the sensitivity study on its tuning seeds (docs/accuracy.md), not by any one world's truth: 0.1 until
# the eighth round, 0.08 since a network's possessors are listed apart (networks.possessors_only) — a lower
# resolution joins pieces of rings, and what it used to join beside them was mostly the ring's own possessors.
NETWORK_RESOLUTION = 0.08
# A community above this size is split again with a higher resolution: the largest planted rings (15 straws plus
# their trafficker and possessors) fit, a city's worth of weakly tied buyers does not.
MAX_NETWORK_SIZE = 40
# A supply-line tie counts half when the two bought this many days apart (1 / (1 + days / this)): a ring sent to
# one counter buys within weeks, so two rings at one dealer for one city a season apart stay apart. Half the
# supply-line window (straw_features.SUPPLY_WINDOW_DAYS); chosen among 90, 180 and 365 days by the worst cell of
# the sensitivity study's tuning seeds (docs/accuracy.md, fourth round).
SUPPLY_LINE_HALF_DAYS = 180.0
TRACES = flow_writes.TRACES  # the FLOW basis of corridors counted from this store's trace records
NEEDS = {need: line for need, (_, line) in LOAD_NEEDS.items()}  # the line a user sees per missing input
# Betweenness from a seeded sample of source persons (Brandes & Pich 2007): exact betweenness is O(V E).
BETWEENNESS_SAMPLES = 200
NETWORK_LAYERS = {  # person-pair kinds from straw_features -> projection layers (weights in algorithms.projection)
    "joint_purchase": "joint_purchase", "shared_address": "shared_address", "common_possessor": "common_possessor",
    "purchaser_possessor": "purchaser_possessor", "nibin": "nibin_link", "supply_line": "supply_line",
    "supply_state": "supply_state",
    "recovered_together": "recovered_together", "corridor": "corridor", "same_counter": "same_counter",
}


@dataclass(frozen=True)
class AnalysisResult:
    run_id: str
    straw: straw.StrawScores
    dealers: dealer_scoring.DealerScores
    networks: pd.DataFrame          # algorithms.networks.COLUMNS: id, size, score, members, reviewable, reason...
    membership: pd.Series           # person_key -> network_id
    person_centrality: pd.DataFrame  # person_key, pagerank, betweenness
    corridors: dict[str, Corridors]  # "<basis>/<level>": "traces/state", "traces/city", "atf_table/state", ...
    hubs: pd.DataFrame              # location_key, pagerank, betweenness
    timings: dict[str, float] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    batches: list[serial_batches.Batch] = field(default_factory=list)  # serial batches among recovered guns
    cells: pd.DataFrame | None = None  # the trace corridor cells (algorithms.corridor_cells), written back whole
    serial: serial_groups.SerialState | None = None  # the serial groups (algorithms.serial_groups), written whole
    # the straw groups too big to tie (algorithms.straw_groups), written whole
    big_groups: pd.DataFrame | None = None
    cpu_timings: dict[str, float] = field(default_factory=dict)  # CPU seconds per stage (timings are wall)


def code_version() -> str:
    """Package version + digest of the analytics source, so a result names the exact code that produced it."""
    try:
        version = metadata.version("tracegraph")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        version = "0+unknown"
    digest = hashlib.sha256()
    for entry in sorted(resources.files("algorithms").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".py"):
            digest.update(entry.name.encode())
            digest.update(entry.read_bytes())
    return f"{version}+{digest.hexdigest()[:12]}"


ENGINES = ("igraph", "gds")



def stage_timer(say: Callable[[str], None], timings: dict[str, float], cpu: dict[str, float] | None = None
                ) -> Callable[[str, Callable[[], Any]], Any]:
    """``timed(name, func)``: announce the stage, run it and record its seconds in ``timings`` (the AnalysisRun's
    timings; shared by the full and the incremental analysis), and its CPU seconds (this process, all threads) in
    ``cpu`` when given: on a shared machine wall seconds say little."""
    def timed(name: str, func: Callable[[], Any]) -> Any:
        say(f"{name} ...")
        started, started_cpu = time.perf_counter(), time.process_time()
        value = func()
        timings[name] = round(time.perf_counter() - started, 3)
        if cpu is not None:
            cpu[name] = round(time.process_time() - started_cpu, 3)
        return value
    return timed

def analyze(store: GraphStore, *, seed: int = 0, resolution: float = NETWORK_RESOLUTION, engine: str = "igraph",
            progress: Callable[[str], None] | None = None) -> AnalysisResult:
    """Compute everything (pure with respect to the store: nothing is written here; see :func:`write_back`).

    ``engine``: where networks and person centrality are computed: ``igraph`` (in this process, the default) or
    ``gds`` (Neo4j Graph Data Science on the server, :mod:`algorithms.gds`; modularity Leiden at gamma 1)."""
    if engine not in ENGINES:
        raise InvalidInput(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if engine == "gds":
        from algorithms.gds import client

        client(store)  # fails now, with the reason, rather than after the other stages
    say = progress or (lambda _message: None)
    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}
    timed = stage_timer(say, timings, cpu)

    tables: AnalysisTables = timed("tables", lambda: load_tables(store))
    skipped: dict[str, str] = {}
    has_purchases = len(tables.purchases) > 0
    has_traces = len(tables.sold) > 0 and len(tables.recovered) > 0

    def stage(name: str, ready: bool, need: str, func: Callable[[], Any], empty: Callable[[], Any]) -> Any:
        if ready:
            return timed(name, func)
        skipped[name] = NEEDS[need]
        say(f"{name}: skipped, {NEEDS[need]}")
        return empty()

    features = stage("straw_features", has_purchases, "purchases", lambda: straw_features.compute(tables),
                     lambda: None)
    # the straw groups too big to tie, as the features' ties left them out (algorithms/straw_groups.py)
    big_groups = features.big_groups if features is not None else None
    straw_scores = stage("straw_scores", has_purchases, "purchases", lambda: straw.score(features),
                         lambda: straw.StrawScores(table=pd.DataFrame(columns=list(straw.TABLE_COLUMNS)),
                                                     parameters=straw.rules()))
    found_batches = stage("batches", len(tables.recovered) > 0, "recovered_firearms",
                          lambda: serial_batches.batches(tables, min_score=serial_batches.SIGNIFICANT),
                          list)
    serial = stage("serial_groups", len(tables.recovered) > 0, "recovered_firearms",
                   lambda: serial_groups.of_tables(tables, found_batches), lambda: None)
    # before the dealers: a batch's guns that stop at one dealer count there as one diversion event
    dealer_scores = stage("dealer_anomalies", has_traces, "traces",
                          lambda: dealer_scoring.score(tables, batches=found_batches),
                          lambda: dealer_scoring.DealerScores(table=pd.DataFrame(columns=list(
                              dealer_scoring.TABLE_COLUMNS)), parameters={}))
    networks, membership, person_centrality = stage(
        "networks", has_purchases, "purchases",
        lambda: _networks(features.pairs, straw_scores.table, seed=seed, resolution=resolution,
                          gds_store=store if engine == "gds" else None),
        lambda: _no_networks())
    corridor_results: dict[str, Corridors] = {}
    cells = None
    if has_traces:
        cells = timed("corridor_cells", lambda: trace_cells(tables))
        corridor_results.update(timed("corridors_traces", lambda: _trace_corridors(tables, cells)))
    else:
        skipped["corridors_traces"] = NEEDS["traces"]
        say(f"corridors_traces: skipped, {NEEDS['traces']}")
    table_bases = _table_bases(tables.state_flows)
    corridor_results.update(stage("corridors_tables", bool(table_bases), "state_tables",
                                  lambda: _table_corridors(tables.state_flows, table_bases), dict))
    hubs = stage("hubs", any(k.startswith(TRACES + "/") for k in corridor_results), "trace_corridors",
                 lambda: _hubs(corridor_results), lambda: pd.DataFrame(columns=["location_key", "pagerank",
                                                                                "betweenness"]))

    runs = sorted(store.node_table("LoadRun").column("key").to_pylist())
    parameters = {"seed": seed, "resolution": resolution, "straw": straw_scores.parameters, "corridor_cells": 1,
                  "dealer_counts": 1, dealer_counts.GUN_FLAG: 1, "serial_groups": serial_groups.STORED,
                  "straw_network": 1, "straw_groups": 1,
                  "dealers": dealer_scores.parameters,
                  "min_network_size": MIN_NETWORK_SIZE, "max_network_size": MAX_NETWORK_SIZE,
                  "supply_line_half_days": SUPPLY_LINE_HALF_DAYS, "networks": network_parameters(),
                  **({"engine": engine} if engine != "igraph" else {})}
    version = code_version()
    identity = json.dumps({"inputs": runs, "parameters": parameters, "code": version}, sort_keys=True, default=str)
    run_id = "analysis-" + hashlib.sha256(identity.encode()).hexdigest()[:16]
    summary = {
        "persons_scored": len(straw_scores.table),
        "persons_with_positive_score": int((straw_scores.table["score"] > 0).sum()),
        "dealers_scored": len(dealer_scores.table),
        "dealers_above_expected": int((dealer_scores.table["score"] > 0).sum()),
        "networks": len(networks),
        "reviewable_networks": int(networks["reviewable"].sum()) if len(networks) else 0,
        "corridors": {name: len(found.table) for name, found in corridor_results.items()},
        "serial_batches": len(found_batches), "serial_batches_spread": sum(b.spread for b in found_batches),
        "recoveries_reported_stolen": int(tables.recovered["src"].isin(tables.stolen["src"]).sum())
        if len(tables.recovered) else 0,
        "skipped": skipped,
    }
    return AnalysisResult(run_id=run_id, straw=straw_scores, dealers=dealer_scores, networks=networks,
                          membership=membership, person_centrality=person_centrality, corridors=corridor_results,
                          hubs=hubs, timings=timings, parameters={**parameters, "input_runs": runs,
                                                                  "code_version": version},
                          summary=summary, batches=found_batches, cells=cells, serial=serial,
                          big_groups=big_groups, cpu_timings=cpu)


def network_ties(pairs: pd.DataFrame) -> pd.DataFrame:
    """The person-pair ties as the networks count them: each tie by its specificity (1 for a pair alone, less
    among many: ``straw_features.specificity``); a supply line further by how close in time the two bought
    (:data:`SUPPLY_LINE_HALF_DAYS`), and so a supply line to one state (``supply_state``); a corridor tie and a
    state supply line left out where the pair already has a (city) supply line (the same guns, the same
    destination: one piece of evidence, not two)."""
    if "specificity" not in pairs.columns:
        pairs = pairs.assign(specificity=1.0)
    supply = pairs["kind"].isin(("supply_line", "supply_state")).to_numpy()
    if supply.any():
        apart = pairs["days_apart"] if "days_apart" in pairs.columns else pd.Series(0.0, index=pairs.index)
        closeness = 1.0 / (1.0 + apart.fillna(0.0).to_numpy(dtype=float) / SUPPLY_LINE_HALF_DAYS)
        pairs = pairs.assign(specificity=np.where(supply, pairs["specificity"].to_numpy(dtype=float) * closeness,
                                                  pairs["specificity"].to_numpy(dtype=float)))
        lines = pd.MultiIndex.from_frame(pairs.loc[pairs["kind"] == "supply_line", ["a", "b"]])
        implied = (pairs["kind"].isin(("corridor", "supply_state")).to_numpy()
                   & pd.MultiIndex.from_frame(pairs[["a", "b"]]).isin(lines))
        pairs = pairs[~implied]
    return pairs


def _networks(pairs: pd.DataFrame, ranked: pd.DataFrame, *, seed: int, resolution: float,
              gds_store: GraphStore | None = None) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    pairs = network_ties(pairs)
    layers = {layer: pairs.loc[pairs["kind"] == kind, ["a", "b", "specificity"]].rename(
        columns={"a": "person_a", "b": "person_b", "specificity": "count"}) for kind, layer in NETWORK_LAYERS.items()}
    projection = person_projection({name: frame for name, frame in layers.items() if len(frame)})
    empty = pd.DataFrame(columns=network_columns)
    if projection.graph.vcount() == 0:
        return empty, pd.Series(dtype=object), pd.DataFrame(columns=["person_key", "pagerank", "betweenness"])
    projection.graph.es["weight"] = projection.weight.tolist()
    samples = min(BETWEENNESS_SAMPLES, projection.graph.vcount())
    keys = projection.person_key
    if gds_store is not None:
        from algorithms.gds import person_networks

        found = person_networks(gds_store, projection, seed=seed, samples=samples)
        membership_of, pagerank, betweenness = found.membership, found.pagerank, found.betweenness
    else:
        communities = leiden_cpm(projection.graph, resolution=resolution, seed=seed, weights="weight",
                                 max_size=MAX_NETWORK_SIZE)
        central = centrality(projection.graph, weights="weight", samples=samples, seed=seed)
        membership_of, pagerank, betweenness = communities.membership, central.pagerank, central.betweenness
    person_centrality = pd.DataFrame({"person_key": keys, "pagerank": pagerank, "betweenness": betweenness})
    networks = network_table(projection, membership_of, ranked, min_size=MIN_NETWORK_SIZE,
                             possessors=possessors_only(pairs, ranked["person_key"]))
    exploded = networks[["network_id", "members"]].explode("members")
    membership = dict(zip(exploded["members"], exploded["network_id"], strict=True))
    return networks, pd.Series(membership, dtype=object), person_centrality


def _place_flows(t: AnalysisTables, level: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Flows from the selling dealer's place to the recovery place per year, with median time-to-crime."""
    return corridor_cells.flows(corridor_cells.count(corridor_cells.trace_places(t, level), level), t.locations,
                                level)


def trace_cells(t: AnalysisTables) -> pd.DataFrame:
    """Every corridor cell of the traces, both levels (:mod:`algorithms.corridor_cells`)."""
    frames = [corridor_cells.count(corridor_cells.trace_places(t, level), level) for level in corridor_cells.LEVELS]
    return pd.concat(frames, ignore_index=True)


def _trace_corridors(t: AnalysisTables, cells: pd.DataFrame | None = None) -> dict[str, Corridors]:
    """Corridors counted from the traces (or from their cells, when given), state and city level."""
    cells = trace_cells(t) if cells is None else cells
    return corridors_from_cells(cells, t.locations)


def corridors_from_cells(cells: pd.DataFrame, locations: pd.DataFrame) -> dict[str, Corridors]:
    results: dict[str, Corridors] = {}
    codes = corridor_cells.place_codes(cells)
    for level in corridor_cells.LEVELS:
        flows, places = corridor_cells.flows(cells, locations, level, codes)
        if len(flows) and flows["src"].nunique() > 1 and flows["dst"].nunique() > 1:
            results[f"{TRACES}/{level}"] = corridors(flows, places.drop(columns=["state"], errors="ignore")
                                                     if level == "state" else places)
    return results


def _table_bases(state_flows: pd.DataFrame) -> list[str]:
    """The bases of the loaded state tables (``atf_table``, ``table:NAME``), state level."""
    if state_flows.empty:
        return []
    rows = state_flows[(state_flows["level"] == "state") & (state_flows["basis"] != TRACES)]
    return sorted(rows["basis"].dropna().unique().tolist())


def _table_corridors(state_flows: pd.DataFrame, bases: list[str]) -> dict[str, Corridors]:
    """One gravity + shrinkage model per table basis (the same :func:`corridors` the traces use); zero cells
    are part of the fit."""
    results: dict[str, Corridors] = {}
    coordinates = state_coordinates()[["key", "lat", "lon"]]
    for basis in bases:
        rows = state_flows[(state_flows["level"] == "state") & (state_flows["basis"] == basis)]
        flows = rows[["year", "src", "dst", "firearms"]].dropna(subset=["year", "firearms"])
        flows = flows.groupby(["year", "src", "dst"], as_index=False)["firearms"].sum()
        if flows["src"].nunique() > 1 and flows["dst"].nunique() > 1:
            results[f"{basis}/state"] = corridors(flows.astype({"year": "int64"}), coordinates)
    return results


def _no_networks() -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    return (pd.DataFrame(columns=network_columns), pd.Series(dtype=object),
            pd.DataFrame(columns=["person_key", "pagerank", "betweenness"]))


def _hubs(results: dict[str, Corridors]) -> pd.DataFrame:
    frames = []
    for name in (f"{TRACES}/state", f"{TRACES}/city"):
        if name not in results:
            continue
        flows = results[name].table
        graph = flow_graph(flows)
        if graph.graph.vcount() < 3:
            continue
        central = centrality(graph.graph, weights="weight", samples=min(1000, graph.graph.vcount()))
        frames.append(pd.DataFrame({"location_key": graph.place, "pagerank": central.pagerank,
                                    "betweenness": central.betweenness}))
    if not frames:
        return pd.DataFrame(columns=["location_key", "pagerank", "betweenness"])
    return pd.concat(frames, ignore_index=True).drop_duplicates("location_key")


def write_back(store: GraphStore, result: AnalysisResult, *, started_at: datetime | None = None) -> None:
    """Write scores, networks, corridors and the AnalysisRun record into the store (idempotent)."""
    run = result.run_id
    ranked = result.straw.table
    # the score only: the queue rank is derived when read (algorithms/straw_rank.py), so a day's new high score
    # does not rewrite everyone's rank
    people = ranked[["person_key", "score", "points", "indicators", "network"]].rename(columns={
        "score": "straw_score", "points": "straw_points", "indicators": "straw_indicators",
        "network": "straw_network"})
    people = people.merge(result.person_centrality, on="person_key", how="left")
    people["analysis_run_id"] = run
    if len(people):
        store.upsert_nodes("Person", people)

    table = result.dealers.table
    if len(table):
        store.upsert_nodes("Dealer", pd.DataFrame({
            "dealer_key": table["dealer_key"], "trace_count": table["traces"].astype("int64"),
            "short_ttc_share": table["short_ttc_share"], "multiple_sale_share": table["multiple_sale_share"],
            "obliterated_share": table["obliterated_share"], "expected_traces": table["expected"],
            "anomaly_score": table["score"], "anomaly_indicators": table["indicators"], "analysis_run_id": run}))
    if len(result.dealers.counts):  # what an incremental run refits the model over (algorithms/dealer_counts.py)
        store.upsert_nodes("Dealer", dealer_counts.rows(result.dealers.counts))
        dealer_counts.write_guns(store, result.dealers, every=True)  # and each gun's share, for its delta

    store.query("networks_clear")
    if len(result.networks):
        store.upsert_nodes("Network", pd.DataFrame({
            "network_id": result.networks["network_id"], "size": result.networks["size"].astype("int64"),
            "score": result.networks["score"],
            "algorithm": "gds-leiden" if result.parameters.get("engine") == "gds" else "leiden-cpm",
            "resolution": float(result.parameters.get("resolution", NETWORK_RESOLUTION)),
            "reviewable": result.networks["reviewable"].astype(bool),
            "review_rank": result.networks["review_rank"].astype("int64"),
            "suspects": result.networks["suspects"].astype("int64"), "reason": result.networks["reason"],
            "ties": [json.dumps(t, sort_keys=True) for t in result.networks["ties"]], "analysis_run_id": run}))
        members = result.networks.explode("members")
        members = members[~members["members"].astype(str).str.startswith(PURGED_PREFIX)]  # stand-ins: nobody
        store.upsert_relationships("MEMBER_OF", "Person", "Network", pd.DataFrame({
            "from_key": members["members"], "to_key": members["network_id"], "analysis_run_id": run}))
        # MEMBER_OF is the membership fact; Person.network_id copies it for every member (Bloom styles by it)
        store.upsert_nodes("Person", pd.DataFrame({"person_key": members["members"],
                                                   "network_id": members["network_id"]}))
    store.query("persons_network_clear")

    flow_writes.write(store, pd.concat([flow_writes.flow_rows(name, found).assign(analysis_run_id=run)
                                        for name, found in result.corridors.items()], ignore_index=True)
                      if result.corridors else pd.DataFrame())

    if len(result.hubs):
        store.upsert_nodes("Location", result.hubs.rename(columns={"location_key": "location_key"}))

    store.init_schema()  # a store made before the corridor cells gains their table
    store.query("corridor_cells_clear")  # recounted from every trace: the incremental runs add to these
    if result.cells is not None and len(result.cells):
        store.upsert_nodes("CorridorCell", result.cells.assign(analysis_run_id=run))

    if result.serial is not None:  # the batches with the serial groups an incremental run updates
        serial_groups.write(store, result.serial, run)
    else:
        store.query("serial_groups_clear")
        store.query("firearms_batches_clear")

    # the big straw groups an incremental run settles without reading them (none without purchases)
    straw_groups.write(store, result.big_groups if result.big_groups is not None
                       else pd.DataFrame(columns=straw_groups.COLUMNS), run, whole=True)

    mark_hits(store)  # every recovery checked against the lost/stolen reports again

    now = datetime.now(UTC).replace(tzinfo=None)
    store.upsert_nodes("AnalysisRun", [{
        "run_id": run, "started_at": (started_at or now).replace(tzinfo=None), "finished_at": now,
        "seed": int(result.parameters.get("seed", 0)), "code_version": result.parameters.get("code_version"),
        "parameters": json.dumps({k: v for k, v in result.parameters.items() if k not in ("input_runs",)},
                                 sort_keys=True, default=str),
        "input_runs": json.dumps(result.parameters.get("input_runs", [])),
        "timings": json.dumps(result.timings, sort_keys=True), "summary": json.dumps(result.summary,
                                                                                      sort_keys=True)}])
