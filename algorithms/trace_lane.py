"""The incremental analysis' trace lane: what the new traces change apart from the persons' scores — the serial
batches, the dealer rates, the corridor cells, the corridors and the hubs.

It only reads (the new traces' rows by key, the stored counts and cells) and shares nothing with the person lane
(the straw neighbourhood, features and scores, the network joins). So :func:`algorithms.incremental.analyze_incremental`
runs it in a thread of its own, on a second connection to the store (:func:`graph.store.reader`), while the person
lane runs in the caller's. The engine's statements and most of Arrow's and numpy's work run without Python's lock,
so on two cores the lanes overlap. A store whose last full analysis predates the stored counts (:func:`migrating`)
gets them counted whole, which writes the schema first: that lane runs in the caller's thread, before the other.

How each part equals a full re-analysis: the module docstring of :mod:`algorithms.incremental`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from algorithms import analyze as full
from algorithms import batches as serial_batches
from algorithms import corridor_cells, dealer_counts, flow_writes, serial_groups, trace_rows, warm_up
from algorithms import dealers as dealer_scoring
from algorithms.corridors import Corridors
from algorithms.tables import AnalysisTables, load_tables
from graph.store import GraphStore, confined

#: the node labels :func:`write` writes (and relationships between them)
WRITES = ("Dealer", "Firearm", "Location", "CorridorCell", "SerialGroup")
#: ``timed(stage, work)``: the analysis' stage timer (:func:`algorithms.analyze.stage_timer`)
Timed = Callable[[str, Callable[[], Any]], Any]


@dataclass(frozen=True)
class TraceLane:
    """What the trace lane found."""

    tables: AnalysisTables | None        # the new traces' rows (None: no new trace)
    new_traces: bool                     # new recoveries with a sale to count: the stages below ran
    serial: serial_groups.SerialState | None  # the serial groups and batch changes to write (None: no new trace)
    dealers: dealer_scoring.DealerScores | None
    cells: pd.DataFrame                  # the corridor cells the new traces touched
    corridors: dict[str, Corridors]
    hubs: pd.DataFrame


def migrating(base_parameters: dict[str, Any]) -> bool:
    """Whether the lane counts whole tables this time (a store analysed before the stored counts, cells or serial
    groups): it then writes the schema, so it must not run beside another lane."""
    return not (base_parameters.get("corridor_cells") and base_parameters.get("dealer_counts")
                and base_parameters.get(dealer_counts.GUN_FLAG)
                and int(base_parameters.get("serial_groups") or 0) >= serial_groups.STORED)


def run(store: GraphStore, traces: set[str], guns: set[str], base_parameters: dict[str, Any], timed: Timed
        ) -> TraceLane:
    """The lane over the new traces (``traces``) and the new rows' guns (``guns``)."""
    # the new traces' rows, read by key (algorithms/trace_rows.py), for the corridor stage and the alerts'
    # recovery rows only (not the straw, dealer or serial-batch stages): read only when the batch has traces
    t = timed("tables", lambda: trace_rows.of_traces(store, traces)) if traces else None
    new_traces = t is not None and len(t.recovered) > 0 and trace_rows.any_sale(store)
    serial = timed("batches", lambda: _serial(store, traces, base_parameters)) if new_traces else None
    dealers = timed("dealer_anomalies", lambda: _dealers(store, guns, serial, base_parameters)) \
        if new_traces else None
    corridors: dict[str, Corridors] = {}
    cells = pd.DataFrame(columns=corridor_cells.COLUMNS)
    if t is not None and new_traces:
        whole = t
        every, cells = timed("corridor_cells", lambda: _cells(store, whole, base_parameters))
        # every place with a point (the cells' places among them: the models keep those)
        corridors = timed("corridors_traces", lambda: full.corridors_from_cells(every, trace_rows.points(store)))
    hubs = timed("hubs", lambda: full._hubs(corridors)) if corridors else pd.DataFrame(
        columns=["location_key", "pagerank", "betweenness"])
    return TraceLane(tables=t, new_traces=new_traces, serial=serial, dealers=dealers, cells=cells,
                     corridors=corridors, hubs=hubs)


def write(store: GraphStore, lane: TraceLane, run: str) -> None:
    """Write what the lane changed: the dealers' scores and counts and the touched guns' shares, the corridors'
    flows, the hubs, the touched corridor cells, the serial groups and batch changes. Nodes of
    :data:`WRITES` only (``graph.store.confined``: rows of other labels read before stay current)."""
    with confined(store, WRITES):
        if lane.dealers is not None and len(lane.dealers.table):
            # one upsert, compared with the rows the dealer stage read (nothing wrote a Dealer since)
            store.upsert_nodes("Dealer", dealer_rows(lane.dealers), stored=lane.dealers.stored)
            # the touched guns' shares now (every gun's on a migration)
            dealer_counts.write_guns(store, lane.dealers, lane.dealers.guns, every=not lane.dealers.guns)
        if lane.corridors:  # fitted again: every level's flows, as the whole of the stored trace corridors (the
            # refit over every cell moves nearly every flow's expected count, score and trend each day)
            flow_writes.write(store, pd.concat([flow_writes.flow_rows(name, found).assign(analysis_run_id=run)
                                                for name, found in lane.corridors.items()], ignore_index=True))
        if len(lane.hubs):
            store.upsert_nodes("Location", lane.hubs)
        if len(lane.cells):
            store.upsert_nodes("CorridorCell", lane.cells.assign(analysis_run_id=run))
        if lane.serial is not None:  # the touched serial groups and the batch changes (every one on a migration)
            serial_groups.write(store, lane.serial, run)


def dealer_rows(dealers: dealer_scoring.DealerScores) -> pd.DataFrame:
    """The Dealer rows to write: every scored dealer's score and rates, and the recounted dealers' stored counts
    (:func:`algorithms.dealer_counts.rows`; null for the others, which the upsert leaves as stored). A dealer in both
    takes its counts' ``trace_count``, as when the counts were written after the scores."""
    table = dealers.table
    scored = pd.DataFrame({
        "dealer_key": table["dealer_key"].to_numpy(object), "trace_count": table["traces"].astype("int64").to_numpy(),
        "short_ttc_share": table["short_ttc_share"].to_numpy(float),
        "multiple_sale_share": table["multiple_sale_share"].to_numpy(float),
        "obliterated_share": table["obliterated_share"].to_numpy(float),
        "expected_traces": table["expected"].to_numpy(float), "anomaly_score": table["score"].to_numpy(float),
        "anomaly_indicators": table["indicators"].to_numpy(object)})
    if not len(dealers.counts):
        return scored
    counts = dealer_counts.rows(dealers.counts)
    both = scored.merge(counts, on="dealer_key", how="outer", suffixes=("_scored", ""), sort=False)
    both["trace_count"] = both["trace_count"].astype("Int64").fillna(both.pop("trace_count_scored").astype("Int64"))
    return both.astype({name: "Int64" for name in counts.columns if name != "dealer_key"})


def _serial(store: GraphStore, traces: set[str], base_parameters: dict[str, Any]) -> serial_groups.SerialState:
    """The serial batches from the stored serial groups the new traces' guns fall in (:mod:`algorithms.serial_groups`).
    A store whose last full analysis predates the stored groups (or their IN_GROUP links) gets them all counted here,
    once (the migration)."""
    if int(base_parameters.get("serial_groups") or 0) < serial_groups.STORED:
        store.init_schema()
        t = load_tables(store)
        return serial_groups.of_tables(t, serial_batches.batches(t, min_score=serial_batches.SIGNIFICANT))
    return serial_groups.update(store, traces)


def _dealers(store: GraphStore, guns: set[str], serial: serial_groups.SerialState | None,
             base_parameters: dict[str, Any]) -> dealer_scoring.DealerScores:
    """The dealer model refitted over the stored per-dealer counts (:mod:`algorithms.dealer_counts`), the counts of
    the dealers a touched gun counts for updated by the delta of its share: the new rows' guns and those whose
    serial batch changed. A store whose last full analysis predates the stored counts or shares gets every dealer
    and gun counted here, once (the migration)."""
    nodes, before, stored = dealer_counts.stored_rows(store)
    found = [] if serial is None else serial.batches
    if not (base_parameters.get("dealer_counts") and base_parameters.get(dealer_counts.GUN_FLAG)):
        store.init_schema()
        every = dealer_scoring.score(load_tables(store), batches=found)
        return dealer_scoring.DealerScores(table=every.table, parameters=every.parameters, counts=every.counts,
                                           gun_traced=every.gun_traced, gun_sales=every.gun_sales)
    old = serial.batched if serial is not None and serial.batched is not None else _batched(store)
    new = {key: batch.batch_id for batch in found for key in batch.firearm_keys}
    moved = {key for key in old.keys() | new.keys() if old.get(key) != new.get(key)}
    delta = dealer_counts.update(store, guns | moved, old, new, nodes, before)
    scores = dealer_scoring.fit(nodes, dealer_counts.merged(before, delta.counts))
    return dealer_scoring.DealerScores(table=scores.table, parameters=scores.parameters, counts=delta.counts,
                                       gun_traced=delta.gun_traced, gun_sales=delta.gun_sales,
                                       guns=frozenset(guns | moved), stored=stored)


def _batched(store: GraphStore) -> dict[str, str]:
    """firearm_key -> batch_id as stored (when the serial stage did not read it already)."""
    was = store.query("firearms_batched").df()
    return dict(zip(was["key"], was["batch_id"], strict=True)) if len(was) else {}


def _cells(store: GraphStore, t: AnalysisTables, base_parameters: dict[str, Any]
           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(every corridor cell with the new traces counted in, the cells to write). ``t``: the new traces' rows
    (:func:`algorithms.trace_rows.of_traces`: their guns' every sale, so the first of each is the one a count over
    everyone takes). A store whose last full analysis predates the cells gets them all counted here, once (the
    migration)."""
    if not base_parameters.get("corridor_cells"):  # the migration reads every trace, once
        store.init_schema()
        every = full.trace_cells(load_tables(store))
        return every, every
    # every cell without its key, unordered: the key and the node table's sort by it were ~0.35 CPU s of the national
    # 555k cells, and add() finds the fresh cells among the stored ones without them
    # (the rows the day's load kept for this analysis, read meanwhile on its idle core: algorithms/warm_up.py)
    kept = warm_up.kept(store, "corridor_cells_all")
    stored = (kept if kept is not None else store.query("corridor_cells_all")).df()
    fresh = pd.concat([corridor_cells.count(corridor_cells.trace_places(t, level), level)
                       for level in corridor_cells.LEVELS], ignore_index=True)
    found = store.query("corridor_cells_get", {"cell_ids": fresh["cell_id"].tolist()}).df()
    histograms = dict(zip(found["cell_id"], found["ttc_days"], strict=True)) if len(found) else {}
    return corridor_cells.add(stored, histograms, fresh)


