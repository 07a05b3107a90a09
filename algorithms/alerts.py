"""Watchlists and alerts: new rows that touch a watched item, and new leads that need no watchlist.

Rules on the recoveries an incremental analysis brings in (:func:`evaluate`, before its write-back, so "first
time" compares with what the store held):

* ``watched_person``: a gun the watched person bought is recovered, or the person is the possessor;
* ``watched_dealer``: a gun the watched dealer sold is recovered within 3 years of sale (short time-to-crime,
  ATF's threshold);
* ``watched_network``: a person joins the watched network, or a member's gun is recovered / a member is found
  with one;
* ``watched_firearm`` / ``watched_serial``: the watched firearm, or a serial matching the pattern (``*`` and ``?``
  wildcards, or a fragment of at least 3 characters the serial contains), is recovered;
* ``watched_place``: a recovery in the watched state or city; ``watched_corridor``: a gun sold in the source state
  is recovered in the destination state;
* ``stolen_recovered``: a recovered gun a lost/stolen report named before the recovery (no watch needed);
* ``straw_threshold``: a person's straw score reaches the network suspect score for the first time;
* ``dealer_anomaly``: a dealer enters the anomaly list (score > 0: the lower 5% bounds of its trace rate and of
  its share of traces that stop at it, against what peers predict, together above the peers:
  :mod:`algorithms.dealers`);
* ``corridor_significant``: a state-level trace corridor-year becomes significant (score > 0).

An alert's id digests its rule, watch, subject and evidence, so evaluating the same rows again raises nothing new.
"""

from __future__ import annotations

import fnmatch
import gc
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from algorithms import network_joins, watchlist
from algorithms.analyze import stage_timer
from algorithms.corridors import Corridors
from algorithms.dealers import DealerScores
from algorithms.incremental import IncrementalResult, analyze_incremental
from algorithms.incremental import write_back as incremental_write_back
from algorithms.networks import SUSPECT_SCORE
from algorithms.trace_lane import TraceLane
from algorithms.trace_lane import write as write_trace_lane
from algorithms.watchlist import MIN_FRAGMENT, WATCH_KINDS, normalise_watch, watch_id, watch_rows  # noqa: F401 (the watch API the CLI and tests use)
from graph.store import GraphStore, one_unit

SHORT_TTC_DAYS = 1095
COLUMNS = ["alert_id", "rule", "reason", "subject_label", "subject_key", "watch_id", "evidence", "traces"]
_SERIAL = re.compile(r"[^0-9A-Z*?]")


def serial_matches(pattern: str, serial: str | None) -> bool:
    if not serial:
        return False
    text = _SERIAL.sub("", str(serial).upper())
    if "*" in pattern or "?" in pattern:
        return fnmatch.fnmatchcase(text, pattern)
    return pattern in text


def active_watches(store: GraphStore) -> pd.DataFrame:
    """Active watches, requests still waiting in the journal included (:mod:`algorithms.watchlist`)."""
    table = watchlist.current(store)
    return table[table["active"].fillna(False).astype(bool)]


def _alert(rule: str, label: str, key: str, watch: str | None, evidence: dict[str, Any], reason: str,
           traces: list[str]) -> dict[str, Any]:
    body = json.dumps({"rule": rule, "watch": watch, "subject": [label, key], "evidence": evidence}, sort_keys=True,
                      default=str)
    return {"alert_id": "alert-" + hashlib.sha256(body.encode()).hexdigest()[:20], "rule": rule, "reason": reason,
            "subject_label": label, "subject_key": key, "watch_id": watch,
            "evidence": json.dumps(evidence, sort_keys=True, default=str), "traces": traces}


def evaluate(store: GraphStore, result: IncrementalResult, traces: list[dict[str, Any]] | None = None
             ) -> pd.DataFrame:
    """Alerts the incremental result raises (``COLUMNS``), before it is written back. ``traces``: the trace lane's
    new leads when they were evaluated before its write back (:func:`trace_leads`; the stored dealers' and
    corridors' scores are this run's after it)."""
    alerts: list[dict[str, Any]] = []
    rec = result.recoveries
    watches = active_watches(store)
    # the networks of the persons on the new recoveries, read by key (a watched network's member among them is a
    # hit; reading every MEMBER_OF cost ~1 s at national scale), and only when a network is watched
    persons = set(rec["purchaser_key"].dropna().tolist()) | set(rec["possessor_key"].dropna().tolist()) \
        if (watches["kind"] == "network").any() else set()
    membership = network_joins.membership_of(store, persons)
    for watch in watches.itertuples(index=False):
        alerts.extend(_watch_alerts(watch.watch_id, watch.kind, watch.value, rec, result, membership))
    alerts.extend(_stolen(rec))
    alerts.extend(_new_leads(store, result, traces))
    if not alerts:
        return pd.DataFrame(columns=COLUMNS)
    return pd.DataFrame(alerts).drop_duplicates("alert_id").reset_index(drop=True)


def _per_trace(rule: str, label: str, key: str, watch: str, hits: pd.DataFrame, words: str) -> list[dict[str, Any]]:
    out = []
    for trace, rows in hits.groupby("trace_id", sort=True):
        first = rows.iloc[0]
        ttc = first["time_to_crime_days"]
        evidence = {"trace_id": trace, "firearm_key": first["firearm_key"],
                    "sale_ids": sorted(rows["sale_id"].dropna().unique().tolist()),
                    "recovery_date": str(first["recovery_date"]), "recovery_state": first["recovery_state"],
                    "time_to_crime_days": None if pd.isna(ttc) else int(ttc)}
        where = f"{first['recovery_city'] or '?'}, {first['recovery_state'] or '?'}"
        when = "" if pd.isna(ttc) else f", {int(ttc)} days after sale"
        out.append(_alert(rule, label, key, watch, evidence,
                          f"{words}: trace {trace} recovered in {where} on {first['recovery_date']}{when}",
                          [str(trace)]))
    return out


def _watch_alerts(watch: str, kind: str, value: str, rec: pd.DataFrame, result: IncrementalResult,
                  membership: pd.Series) -> list[dict[str, Any]]:
    if kind == "person":
        hits = rec[(rec["purchaser_key"] == value) | (rec["possessor_key"] == value)]
        return _per_trace("watched_person", "Person", value, watch, hits, "a watched person's gun was recovered "
                          "(or the person was found with one)")
    if kind == "dealer":
        hits = rec[(rec["dealer_key"] == value) & (rec["time_to_crime_days"] <= SHORT_TTC_DAYS)]
        return _per_trace("watched_dealer", "Dealer", value, watch, hits,
                          "a gun the watched dealer sold was recovered within 3 years of sale")
    if kind == "firearm":
        return _per_trace("watched_firearm", "Firearm", value, watch, rec[rec["firearm_key"] == value],
                          "the watched firearm was recovered")
    if kind == "serial":
        hits = rec[np.array([serial_matches(value, s) for s in rec["serial_normalized"]], dtype=bool)]
        out = []
        for key, rows in hits.groupby("firearm_key"):
            out.extend(_per_trace("watched_serial", "Firearm", str(key), watch, rows,
                                  f"a recovered gun's serial {rows.iloc[0]['serial_normalized']} matches the "
                                  f"watched pattern {value}"))
        return out
    if kind == "place":
        level, _, rest = value.partition(":")
        if level == "state":
            hits = rec[rec["recovery_state"] == rest.removeprefix("US-")]
        elif level == "city":
            state, _, city = rest.removeprefix("US-").partition(":")
            hits = rec[(rec["recovery_state"] == state) & (rec["recovery_city"].fillna("").str.upper() == city)]
        else:
            hits = rec.iloc[0:0]
        return _per_trace("watched_place", "Location", value, watch, hits, f"a gun was recovered in {value}")
    if kind == "corridor":
        source, _, destination = value.partition(">")
        hits = rec[(rec["dealer_state"] == source.removeprefix("state:US-"))
                   & (rec["recovery_state"] == destination.removeprefix("state:US-"))]
        return _per_trace("watched_corridor", "Location", value, watch, hits,
                          f"a gun sold in {source} was recovered in {destination}")
    # network: new members, and recoveries touching members
    out = []
    for person in sorted(result.joins.loc[result.joins["network_id"] == value, "person_key"]):
        out.append(_alert("watched_network", "Network", value, watch, {"person_key": person},
                          f"{person} joined the watched network {value} (new ties in this batch)", []))
    members = set(membership[membership == value].index)
    hits = rec[rec["purchaser_key"].isin(members) | rec["possessor_key"].isin(members)]
    out.extend(_per_trace("watched_network", "Network", value, watch, hits,
                          "a member of the watched network bought or was found with a recovered gun"))
    return out


def _stolen(rec: pd.DataFrame) -> list[dict[str, Any]]:
    hits = rec.dropna(subset=["stolen_report_id"])
    hits = hits[pd.to_datetime(hits["reported_date"]) <= pd.to_datetime(hits["recovery_date"])]
    out = []
    for trace, rows in hits.groupby("trace_id", sort=True):
        first = rows.iloc[0]
        out.append(_alert("stolen_recovered", "Recovery", str(trace), None, {
            "trace_id": trace, "firearm_key": first["firearm_key"], "report_id": first["stolen_report_id"],
            "reported_date": str(first["reported_date"]), "recovery_date": str(first["recovery_date"])},
            f"recovered gun {first['firearm_key']} was reported stolen ({first['stolen_report_id']}, "
            f"{first['reported_date']}) before this recovery on {first['recovery_date']}", [str(trace)]))
    return out


def _new_leads(store: GraphStore, result: IncrementalResult, traces: list[dict[str, Any]] | None
               ) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    # the scores stored before this run: read with the scoring (``previous``), or by key
    before = result.straw.set_index("person_key")["previous"] if "previous" in result.straw.columns \
        else network_joins.stored_scores(store, set(result.straw["person_key"].tolist()))
    for row in result.straw.itertuples(index=False):
        old = before.get(row.person_key)
        if row.score >= SUSPECT_SCORE and (old is None or pd.isna(old) or old < SUSPECT_SCORE):
            out.append(_alert("straw_threshold", "Person", row.person_key, None,
                              {"score": round(float(row.score), 2), "previous": None if old is None or pd.isna(old)
                               else round(float(old), 2), "indicators": json.loads(row.indicators)},
                              f"straw score {row.score:.1f} reaches the suspect threshold {SUSPECT_SCORE:g} for the "
                              "first time", []))
    return out + (traces if traces is not None else trace_leads(store, result.dealers, result.corridors))


def trace_leads(store: GraphStore, dealers: DealerScores | None, corridors: dict[str, Corridors]
                ) -> list[dict[str, Any]]:
    """The new-lead alerts of the trace lane's results (a dealer entering the anomaly list, a corridor becoming
    significant), against the dealers' and corridors' scores as stored: before their write back."""
    out: list[dict[str, Any]] = []
    if dealers is not None:
        stored = _stored_dealer_scores(store, dealers)
        table = dealers.table
        for row in table[table["score"] > 0].itertuples(index=False):
            old = stored.get(row.dealer_key)
            if old is None or pd.isna(old) or old <= 0:
                out.append(_alert("dealer_anomaly", "Dealer", row.dealer_key, None,
                                  {"traces": int(row.traces), "expected": round(float(row.expected), 2),
                                   "stopped": int(row.stopped),
                                   "stopped_expected": round(float(row.stopped_expected), 2),
                                   "score": round(float(row.score), 3),
                                   "previous": None if old is None or pd.isna(old) else round(float(old), 3)},
                                  f"dealer enters the anomaly list: {int(row.traces)} traces against "
                                  f"{float(row.expected):.1f} expected from peers, {int(row.stopped)} stopping at "
                                  f"the dealer against {float(row.stopped_expected):.1f}", []))
    found = corridors.get("traces/state")
    if found is not None:
        table = found.table
        rising = table[(table["score"] > 0) & (table["src"] != table["dst"])]
        # each corridor's stored score beside it (nan: none stored, or stored without one)
        stored_flows = store.query("flow_scores_of_basis", {"level": "state", "basis": "traces"}).df()
        keys = ["src", "dst", "year"]
        was = np.full(len(rising), np.nan)
        if len(rising) and len(stored_flows):
            was = rising[keys].astype({"src": object, "dst": object, "year": "int64"}).merge(
                stored_flows.astype({"src": object, "dst": object, "year": "int64"}).drop_duplicates(keys), on=keys,
                how="left")["score"].to_numpy(float)
        for row, previous in zip(rising.itertuples(index=False), was, strict=True):
            if pd.isna(previous) or previous <= 0:
                key = f"{row.src}>{row.dst}"
                out.append(_alert("corridor_significant", "Location", key, None,
                                  {"year": int(row.year), "firearms": int(row.firearms),
                                   "expected": round(float(row.expected), 2), "score": round(float(row.score), 3),
                                   "previous": None if pd.isna(previous) else round(float(previous), 3)},
                                  f"corridor {key} becomes significant in {int(row.year)}: {int(row.firearms)} "
                                  f"firearms against {float(row.expected):.1f} expected", []))
    return out


def _stored_dealer_scores(store: GraphStore, dealers: DealerScores) -> pd.Series:
    """Each dealer's stored ``anomaly_score`` (indexed by key): from the rows the dealer stage read with the stored
    counts (``DealerScores.stored``: every dealer) while nothing that may write a Dealer has run since, else read."""
    rows, written = dealers.stored, getattr(store, "written", None)
    if rows is not None and written is not None and "anomaly_score" in rows.table.column_names \
            and written.unchanged("Dealer", rows.writes):
        table = rows.table.select(["dealer_key", "anomaly_score"]).to_pandas()
        return table.set_index("dealer_key")["anomaly_score"]
    return store.node_table("Dealer", ("anomaly_score",)).to_pandas().set_index("key")["anomaly_score"]


def record(store: GraphStore, alerts: pd.DataFrame, result: IncrementalResult, *, deliver: bool,
           taxii: bool = False) -> int:
    """Write the alerts not already stored (with ABOUT and FIRED); returns how many were new. ``deliver`` /
    ``taxii``: a webhook / a TAXII collection is configured, so the alert waits in that channel's outbox."""
    if alerts.empty:
        return 0
    known = set(store.node_table("Alert").column("key").to_pylist())
    fresh = alerts[~alerts["alert_id"].isin(known)]
    if fresh.empty:
        return 0
    now = datetime.now(UTC).replace(tzinfo=None)
    store.upsert_nodes("Alert", pd.DataFrame({
        "alert_id": fresh["alert_id"], "rule": fresh["rule"], "reason": fresh["reason"],
        "subject_label": fresh["subject_label"], "subject_key": fresh["subject_key"], "watch_id": fresh["watch_id"],
        "evidence": fresh["evidence"], "load_runs": json.dumps(sorted(result.touched.new_runs)),
        "analysis_run_id": result.run_id, "created_at": now, "tlp": "amber",
        "delivery_state": "pending" if deliver else "none", "delivery_attempts": 0,
        "next_attempt_at": now if deliver else None, "taxii_state": "pending" if taxii else "none",
        "taxii_attempts": 0, "taxii_next_attempt_at": now if taxii else None}))
    # the alerts were created just now: no link of theirs can exist yet, so none is looked up (each link once)
    created = pa.array(fresh["alert_id"].astype(str).tolist(), pa.string())
    labels = {"Person", "Dealer", "Network", "Firearm", "Recovery"}
    about = fresh[fresh["subject_label"].isin(labels)]
    for label, rows in about.groupby("subject_label"):
        store.upsert_relationships("ABOUT", "Alert", str(label), pd.DataFrame({
            "from_key": rows["alert_id"], "to_key": rows["subject_key"]}).drop_duplicates(), created_from=created)
    traced = fresh.explode("traces").dropna(subset=["traces"])
    traced = pd.DataFrame({"from_key": traced["alert_id"], "to_key": traced["traces"]}).drop_duplicates()
    recovery = about[about["subject_label"] == "Recovery"]
    traced = traced[~(traced["from_key"] + "\x1f" + traced["to_key"].astype(str)).isin(
        set(recovery["alert_id"] + "\x1f" + recovery["subject_key"].astype(str)))]
    if len(traced):
        store.upsert_relationships("ABOUT", "Alert", "Recovery", traced, created_from=created)
    watched = fresh.dropna(subset=["watch_id"])
    if len(watched):
        store.upsert_relationships("FIRED", "Watch", "Alert", pd.DataFrame({
            "from_key": watched["watch_id"], "to_key": watched["alert_id"]}).drop_duplicates(), created_to=created)
    return len(fresh)


def analyze_and_alert(store: GraphStore, *, deliver: bool = False, taxii: bool = False,
                      progress: Callable[[str], None] | None = None) -> tuple[IncrementalResult, int]:
    """The daily step: incremental analysis, alerts evaluated against the store before it changes, the
    write-back, then the new alerts recorded (``pending`` delivery when a webhook / TAXII collection is
    configured), all in one transaction.

    When the analysis runs its person lane in a thread of its own (:func:`algorithms.incremental.
    analyze_incremental`), the trace lane's alerts are evaluated and its results written as soon as it is done,
    while the person lane still reads what was committed before; the rest follows in the same transaction."""
    say = progress or (lambda _message: None)
    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}
    early = stage_timer(say, timings, cpu)
    traces: list[list[dict[str, Any]]] = []
    with older_objects_frozen(), ExitStack() as unit:  # the write back and its alerts: committed together

        def trace_done(lane: TraceLane, run: str) -> None:
            traces.append(early("alerts_traces", lambda: trace_leads(store, lane.dealers, lane.corridors)))
            unit.enter_context(one_unit(store))
            early("write_back_traces", lambda: write_trace_lane(store, lane, run))

        watchlist.apply_pending(store)
        result = analyze_incremental(store, progress=progress, trace_done=trace_done)
        result.timings.update(timings)
        result.cpu_timings.update(cpu)
        timed = stage_timer(say, result.timings, result.cpu_timings)
        raised = timed("alerts", lambda: evaluate(store, result, traces[0] if traces else None))
        unit.enter_context(one_unit(store))  # (part of the one trace_done began, if it did)
        timed("write_back", lambda: incremental_write_back(store, result))
        count: int = timed("alerts_record", lambda: record(store, raised, result, deliver=deliver, taxii=taxii))
        timed("commit", unit.close)
    return result, count


@contextmanager
def older_objects_frozen() -> Iterator[None]:
    """Python's cyclic garbage collector left to the objects made inside (``gc.freeze``, undone on the way out,
    whatever happens): its full collections, which an analysis's allocations set off, otherwise walk every object
    the process already held (the day's load, the side table's frames, the imported modules): ~0.24 CPU s of a
    national batch's run, ~0.09 with them frozen. Nothing is kept alive that would have been freed: the frozen
    objects are collected as before once thawed. A process whose objects are frozen already (a server before
    forking its workers) is left as it is: thawing is its business."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


TRACE_RULES = ("watched_person", "watched_dealer", "watched_network", "watched_firearm", "watched_serial",
               "watched_place", "watched_corridor", "stolen_recovered", "dealer_anomaly", "corridor_significant")


def coverage(store: GraphStore) -> list[str]:
    """What the rules need that this store lacks: one line each, naming the rules and the load (or command) that
    provides it (empty when every rule can fire). The public files (the FFL list, the ATF state tables,
    inspections) hold no trace rows, persons or lost/stolen reports."""
    from algorithms.runs import latest_analysis

    found = store.query("alert_coverage").rows()[0]
    lines = []
    if not found["recoveries"]:
        lines.append(f"{', '.join(TRACE_RULES)}: no trace rows in this store; `tracegraph load traces FILE` provides "
                     "them (the FFL list and the ATF state tables are not trace rows)")
    if not found["persons"]:
        lines.append("straw_threshold, watched_network (new members): no persons in this store; `tracegraph load "
                     "traces FILE` (purchasers, possessors) or `tracegraph load multiple-sales FILE` provides them")
    if not found["theft_reports"]:
        lines.append("stolen_recovered: no lost/stolen reports in this store; `tracegraph load stolen FILE` "
                     "provides them")
    if latest_analysis(store) is None:
        lines.append("every rule: no analysis yet; run `tracegraph analyze` once, then each load's incremental "
                     "analysis raises alerts")
    if active_watches(store).empty:
        lines.append("watched_*: no active watch; `tracegraph watch add KIND VALUE` adds one")
    return lines


def list_alerts(store: GraphStore, *, rule: str | None = None, since: datetime | None = None,
                subject: str | None = None) -> pd.DataFrame:
    """Stored alerts, newest first."""
    names = ("rule", "reason", "subject_label", "subject_key", "watch_id", "evidence", "load_runs",
             "analysis_run_id", "created_at", "tlp", "delivery_state", "delivery_attempts", "delivered_at",
             "taxii_state", "taxii_attempts", "taxii_delivered_at", "taxii_last_error")
    table = store.node_table("Alert", names).to_pandas().rename(columns={"key": "alert_id"})
    if rule:
        table = table[table["rule"] == rule]
    if since is not None:
        table = table[pd.to_datetime(table["created_at"]) >= pd.Timestamp(since)]
    if subject:
        table = table[table["subject_key"] == subject]
    return table.sort_values(["created_at", "alert_id"], ascending=[False, True]).reset_index(drop=True)
