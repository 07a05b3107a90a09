"""Watchlists and alerts on a simulated world streamed in daily batches, and webhook delivery to a real HTTP
receiver on loopback across an outage."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
import pytest

from algorithms import alerts, incremental
from algorithms.analyze import analyze, write_back
from api.audit import AuditLog
from api.webhook import deliver
from graph.embedded_store import EmbeddedStore
from graph.errors import InvalidInput
from graph.store import GraphStore
from loaders.base import LoadOptions, run_load
from loaders.kinds import loader_for
from loaders.synthetic.stream import BATCH_KINDS
from tests.net import free_port
from tests.worlds import copy_store, streamed_history


@dataclass
class Day:
    run_id: str
    traces: frozenset[str]
    raised: int


@dataclass
class Streamed:
    store: EmbeddedStore
    days: list[Day]
    watches: dict[str, str]  # kind -> watch id
    root: Path


def _watch(store: EmbeddedStore, kind: str, value: str) -> str:
    row = alerts.watch_rows(kind, value, note="test")
    store.upsert_nodes("Watch", [row])
    return str(row["watch_id"])


@pytest.fixture(scope="module")
def streamed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Streamed]:
    root = tmp_path_factory.mktemp("alerts")
    history = streamed_history(tmp_path_factory, "small", 3, batches=3, batch_traces=100)
    stream = history.stream
    store = EmbeddedStore(copy_store(history.db, root / "db.lbug"))
    options = LoadOptions(rejects_dir=root / "rejects")
    # a police report of a theft, on file before the second batch recovers the gun it names
    run_load(loader_for("stolen"), store, _stolen_report(stream.batches[1] / "traces.csv", root), options)
    write_back(store, analyze(store))
    days: list[Day] = []
    watches: dict[str, str] = {}
    off_book = _off_book_sales(store, stream.batches[1] / "traces.csv", root)
    for number, batch in enumerate(stream.batches):
        for kind, name in BATCH_KINDS:
            run_load(loader_for(kind), store, batch / name, options)
        if number == 1:
            run_load(loader_for("traces"), store, off_book, options)
        if number == 0:
            # an analyst's watchlist, written after the load and before the analysis that reads it: items the
            # batch touches, taken from what the batch brings (the raw rows' dealer, serial, place)
            watches.update(_watchlist(store, batch / "traces.csv"))
        result, raised = alerts.analyze_and_alert(store, deliver=True)
        days.append(Day(result.run_id, result.touched.trace_ids, raised))
    yield Streamed(store, days, watches, root)
    store.close()


STOLEN_REPORT = "R-TEST-1"
OFF_BOOK_STOPPED, OFF_BOOK_COMPLETED = 10, 4


def _off_book_sales(store: EmbeddedStore, traces_csv: Path, root: Path) -> Path:
    """Trace rows (traces.csv layout) for a listed dealer with no trace in the store: ``OFF_BOOK_STOPPED`` guns
    sold off the books (the trace stops at the dealer: no purchase date, no purchaser) and ``OFF_BOOK_COMPLETED``
    sold on paper, all recovered soon, shaped after the first completed row of ``traces_csv``."""
    dealers = store.node_table("Dealer", ("license_number",)).to_pandas()
    sold = store.edge_list("SOLD", "Dealer", "Firearm").to_pandas()
    quiet = dealers[~dealers["key"].isin(sold["src"]) & dealers["license_number"].notna()].sort_values("key")
    rows = pd.read_csv(traces_csv, dtype=str, keep_default_na=False)
    base = rows[rows["trace_status"] == "COMPLETED"].iloc[0].copy()
    base["dealer_ffl"] = quiet["license_number"].iloc[0]
    purchaser = [c for c in rows.columns if c.startswith("purchaser_")]
    out = []
    for i in range(OFF_BOOK_STOPPED + OFF_BOOK_COMPLETED):
        row = base.copy()
        row["trace_id"] = f"T-OFFBOOK-{i:02d}"
        row["serial_number"] = f"OB{(i * 7919) % 9973:04d}{chr(65 + i)}"  # not a run of one lot
        if i < OFF_BOOK_STOPPED:
            row["trace_status"], row["purchase_date"], row["multiple_sale_report_id"] = "INCOMPLETE", "", ""
            row[purchaser] = ""
        else:
            row["purchase_date"] = (pd.Timestamp(base["recovery_date"]) - pd.Timedelta(days=90 + i)).date().isoformat()
        out.append(row)
    path = root / "off_book_traces.csv"
    pd.DataFrame(out).to_csv(path, index=False)
    return path


def _stolen_report(traces_csv: Path, root: Path) -> Path:
    """A lost/stolen report (stolen.csv layout) naming the first serialed gun of ``traces_csv``, filed 30 days
    before its recovery."""
    rows = pd.read_csv(traces_csv, dtype=str)
    gun = rows.dropna(subset=["serial_number", "manufacturer", "weapon_type", "recovery_date"]).iloc[0]
    filed = (pd.Timestamp(gun["recovery_date"]) - pd.Timedelta(days=30)).date().isoformat()
    path = root / "stolen_report.csv"
    pd.DataFrame([{"report_id": STOLEN_REPORT, "reported_date": filed, "reporter": "VA0760000 RICHMOND PD",
                   "serial_number": gun["serial_number"], "manufacturer": gun["manufacturer"],
                   "model": gun["model"], "caliber": gun["caliber"], "weapon_type": gun["weapon_type"],
                   "country": "US"}]).to_csv(path, index=False)
    return path


def _watchlist(store: EmbeddedStore, traces_csv: Path) -> dict[str, str]:
    rows = pd.read_csv(traces_csv, dtype=str)
    preview = incremental.analyze_incremental(store)  # pure: where the batch's guns came from and who bought them
    rec = preview.recoveries
    quick = rec[(rec["time_to_crime_days"] <= alerts.SHORT_TTC_DAYS) & rec["dealer_key"].notna()]
    dealer = quick["dealer_key"].iloc[0]
    serial = rows["serial_number"].dropna().iloc[3]
    fragment = "".join(ch for ch in serial.upper() if ch.isalnum())[1:5]
    state = rows["recovery_state"].dropna().iloc[5]
    known = rec.dropna(subset=["purchaser_key"])
    person = known["purchaser_key"].iloc[0]
    corridor = rec.dropna(subset=["dealer_state", "recovery_state"])
    corridor = corridor[corridor["dealer_state"] != corridor["recovery_state"]].iloc[0]
    watched = {"dealer": _watch(store, "dealer", dealer), "serial": _watch(store, "serial", f"*{fragment}*"),
               "place": _watch(store, "place", f"state:US-{state}"), "person": _watch(store, "person", person),
               "corridor": _watch(store, "corridor", f"state:US-{corridor['dealer_state']}>state:US-"
                                                     f"{corridor['recovery_state']}"),
               "firearm": _watch(store, "firearm", rec["firearm_key"].iloc[-1])}
    joined = preview.joins
    existing = set(store.node_table("Network").column("key").to_pylist())
    into = joined[joined["network_id"].isin(existing)]
    if len(into):
        watched["network"] = _watch(store, "network", into["network_id"].iloc[0])
    return watched


def test_each_watch_rule_fires_with_its_evidence(streamed: Streamed) -> None:
    table = alerts.list_alerts(streamed.store)
    first = streamed.days[0]
    assert streamed.watches.keys() >= {"dealer", "serial", "place", "person", "corridor", "firearm", "network"}
    for kind, watch in streamed.watches.items():
        mine = table[table["watch_id"] == watch]
        assert len(mine), f"no alert for the watched {kind}"
        assert (mine["rule"] == f"watched_{kind}").all()
        assert (mine["analysis_run_id"] == first.run_id).any()  # the batch it was chosen from
        for run, evidence in zip(mine["analysis_run_id"], mine["evidence"].map(json.loads), strict=True):
            if "trace_id" in evidence:  # the rows of the batch that raised it, not the history
                assert evidence["trace_id"] in next(day.traces for day in streamed.days if day.run_id == run)
    dealer = table[table["watch_id"] == streamed.watches["dealer"]]
    assert all(json.loads(e)["time_to_crime_days"] <= alerts.SHORT_TTC_DAYS for e in dealer["evidence"])


def test_new_lead_rules_fire_without_a_watchlist(streamed: Streamed) -> None:
    table = alerts.list_alerts(streamed.store)
    fired = set(table.loc[table["watch_id"].isna(), "rule"])
    assert {"straw_threshold", "dealer_anomaly", "corridor_significant", "stolen_recovered"} <= fired, fired
    straw = table[table["rule"] == "straw_threshold"].iloc[0]
    assert "for the first time" in straw["reason"] and json.loads(straw["evidence"])["score"] >= 5.0


def test_new_lead_rules_fire_on_crossing_into_the_list(streamed: Streamed) -> None:
    """Each new-lead alert says what the store held before its batch (``previous``): below the threshold, off the
    anomaly list, not significant, or nothing. (A subject may cross again after falling back: the stream here
    has a corridor-year that is significant on day 1, not on day 2, and again on day 3.)"""
    table = alerts.list_alerts(streamed.store)
    for rule, above, threshold in (("straw_threshold", lambda v: v >= 5.0, lambda p: p < 5.0),
                                   ("dealer_anomaly", lambda v: v > 0, lambda p: p <= 0),
                                   ("corridor_significant", lambda v: v > 0, lambda p: p <= 0)):
        raised = table[table["rule"] == rule]
        assert len(raised), rule
        for evidence in raised["evidence"].map(json.loads):
            assert above(evidence["score"]) and (evidence["previous"] is None or threshold(evidence["previous"]))
    for key in table.loc[table["rule"] == "corridor_significant", "subject_key"]:
        src, dst = key.split(">")
        assert src.startswith("state:US-") and src != dst
    assert set(table["analysis_run_id"]) <= {day.run_id for day in streamed.days}


def test_a_dealer_whose_new_traces_stop_at_its_counter_enters_the_anomaly_list(streamed: Streamed) -> None:
    table = alerts.list_alerts(streamed.store)
    raised = table[(table["rule"] == "dealer_anomaly") & (table["analysis_run_id"] == streamed.days[1].run_id)]
    assert len(raised) == 1
    evidence = json.loads(raised["evidence"].iloc[0])
    assert evidence["traces"] == OFF_BOOK_STOPPED + OFF_BOOK_COMPLETED and evidence["previous"] is None
    assert evidence["stopped"] == OFF_BOOK_STOPPED and evidence["stopped_expected"] < OFF_BOOK_STOPPED / 3
    assert f"{OFF_BOOK_STOPPED} stopping at the dealer" in raised["reason"].iloc[0]


def test_a_stolen_record_match_fires_on_the_batch_that_recovers_the_gun(streamed: Streamed) -> None:
    table = alerts.list_alerts(streamed.store)
    stolen = table[table["rule"] == "stolen_recovered"]
    assert len(stolen)
    for run, evidence in zip(stolen["analysis_run_id"], stolen["evidence"].map(json.loads), strict=True):
        assert evidence["reported_date"] <= evidence["recovery_date"]  # reported before this recovery
        assert evidence["trace_id"] in next(day.traces for day in streamed.days if day.run_id == run)
    planted = stolen[stolen["evidence"].map(lambda e: json.loads(e)["report_id"] == STOLEN_REPORT)]
    assert set(planted["analysis_run_id"]) == {streamed.days[1].run_id}  # the day whose batch recovers the gun
    reports = streamed.store.edge_list("REPORTED_STOLEN", "Firearm", "TheftReport").to_pandas()
    named = set(zip(reports["dst"], reports["src"], strict=True))
    assert all((e["report_id"], e["firearm_key"]) in named for e in stolen["evidence"].map(json.loads))


def test_a_new_member_of_a_watched_network_fires_with_the_person(streamed: Streamed) -> None:
    table = alerts.list_alerts(streamed.store)
    mine = table[table["watch_id"] == streamed.watches["network"]]
    joins = [json.loads(e) for e in mine["evidence"] if "person_key" in json.loads(e)]
    assert joins, "no alert for a new member of the watched network"
    members = streamed.store.edge_list("MEMBER_OF", "Person", "Network").to_pandas()
    network = mine["subject_key"].iloc[0]
    joined = set(members.loc[members["dst"] == network, "src"])
    assert {j["person_key"] for j in joins} <= joined  # they are members now (the write-back attached them)
    assert all("joined the watched network" in r for r in mine.loc[mine["evidence"].str.contains("person_key"),
                                                                    "reason"])


def test_alerts_are_in_the_graph_about_their_subject(streamed: Streamed) -> None:
    about = streamed.store.edge_list("ABOUT", "Alert", "Dealer").to_pandas()
    table = alerts.list_alerts(streamed.store)
    dealer_alerts = table[table["subject_label"] == "Dealer"]
    assert set(zip(dealer_alerts["alert_id"], dealer_alerts["subject_key"], strict=True)) <= set(
        zip(about["src"], about["dst"], strict=True))
    fired = streamed.store.edge_list("FIRED", "Watch", "Alert").to_pandas()
    assert set(fired["src"]) == set(streamed.watches.values())


def test_the_same_rows_never_alert_twice(streamed: Streamed) -> None:
    before = len(alerts.list_alerts(streamed.store))
    _result, raised = alerts.analyze_and_alert(streamed.store)  # nothing new loaded
    assert raised == 0 and len(alerts.list_alerts(streamed.store)) == before
    assert sum(day.raised for day in streamed.days) == before


def test_bad_watch_values_are_one_clear_line() -> None:
    with pytest.raises(InvalidInput, match="unknown watch kind"):
        alerts.watch_rows("boat", "x")
    with pytest.raises(InvalidInput, match="at least 3 characters"):
        alerts.watch_rows("serial", "*1*")
    with pytest.raises(InvalidInput, match="location key"):
        alerts.watch_rows("place", "New York")


@pytest.mark.parametrize(("pattern", "serial", "hit"), [
    ("*4872*", "AB48721", True), ("4872", "AB48721", True), ("AB?87*", "AB48721", True),
    ("*4872", "AB48721", False), ("4873", "AB48721", False)])
def test_partial_serials(pattern: str, serial: str, hit: bool) -> None:
    assert alerts.serial_matches(alerts.normalise_watch("serial", pattern), serial) is hit


class _Receiver(BaseHTTPRequestHandler):
    seen: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).seen.append({"key": self.headers["Idempotency-Key"], "body": json.loads(body)})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_webhook_gets_each_alert_exactly_once_across_an_outage(streamed: Streamed, tmp_path: Path) -> None:
    store = streamed.store
    pending = alerts.list_alerts(store)
    pending = pending[pending["delivery_state"] == "pending"]
    assert len(pending) > 0
    port = free_port()
    url = f"http://127.0.0.1:{port}/alerts"
    audit = AuditLog(tmp_path / "audit.jsonl")
    start = datetime.now(UTC)
    down = deliver(store, url, audit=audit, now=start, base_backoff=60)  # nothing listens: refused
    assert (down.delivered, down.failed) == (0, len(pending))
    again = deliver(store, url, audit=audit, now=start + timedelta(seconds=10), base_backoff=60)
    assert (again.delivered, again.failed, again.waiting) == (0, 0, len(pending))  # backing off
    _Receiver.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", port), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        up = deliver(store, url, audit=audit, now=start + timedelta(seconds=61), base_backoff=60)
        later = deliver(store, url, audit=audit, now=start + timedelta(hours=2), base_backoff=60)
    finally:
        server.shutdown()
        server.server_close()
    assert up.delivered == len(pending) and later.delivered == later.failed == 0
    keys = [hit["key"] for hit in _Receiver.seen]
    assert sorted(keys) == sorted(pending["alert_id"]) and len(set(keys)) == len(keys)
    assert all(hit["body"]["alert_id"] == hit["key"] for hit in _Receiver.seen)
    stored = alerts.list_alerts(store)
    assert set(stored.loc[stored["alert_id"].isin(keys), "delivery_state"]) == {"delivered"}
    entries = list(audit.entries())
    assert [e["outcome"] for e in entries].count("error") == len(pending)
    assert [e["outcome"] for e in entries].count("ok") == len(pending)
    assert audit.verify().ok  # the chain is intact


class _Choosy(BaseHTTPRequestHandler):
    """Takes every alert but ``refuse`` (answered 503)."""

    refuse = "alert-b"
    seen: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        key = self.headers["Idempotency-Key"]
        type(self).seen.append(key)
        self.send_response(503 if key == self.refuse else 204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_one_round_records_each_alerts_own_outcome_and_reads_only_the_pending(embedded_store: EmbeddedStore,
                                                                              tmp_path: Path) -> None:
    one_round_of_mixed_outcomes(embedded_store, tmp_path)


def one_round_of_mixed_outcomes(store: GraphStore, tmp_path: Path, prefix: str = "alert-") -> None:
    """The outbox writes a round's outcomes together: a delivered alert and a failed one in the same round each keep
    their own columns (a failure's error and next attempt, a delivery's time), and alerts no longer pending (or
    never meant for the webhook) are not sent again. (tests/neo4j runs it on Neo4j.)"""
    start = datetime(2026, 12, 5, 9, 0)
    base = {"rule": "watched_dealer", "reason": "r", "subject_label": "Dealer", "subject_key": "1-54-20000",
            "evidence": "{}", "load_runs": "[]", "tlp": "amber", "delivery_attempts": 0}
    store.upsert_nodes("Alert", [
        {**base, "alert_id": prefix + key, "created_at": start - timedelta(minutes=i), "delivery_state": state}
        for i, (key, state) in enumerate([("a", "pending"), ("b", "pending"), ("c", "pending"), ("d", "delivered"),
                                          ("e", "none")])])
    port = free_port()
    _Choosy.refuse, _Choosy.seen = prefix + "b", []
    server = ThreadingHTTPServer(("127.0.0.1", port), _Choosy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    audit = AuditLog(tmp_path / "audit.jsonl")
    try:
        done = deliver(store, f"http://127.0.0.1:{port}/alerts", audit=audit, now=start, base_backoff=60)
    finally:
        server.shutdown()
        server.server_close()
    assert (done.delivered, done.failed, done.waiting) == (2, 1, 0)
    assert _Choosy.seen == [prefix + "c", prefix + "b", prefix + "a"]  # oldest first; d and e are not the outbox's
    names = ("delivery_state", "delivery_attempts", "delivered_at", "last_error", "next_attempt_at")
    rows = {r["key"].removeprefix(prefix): r for r in store.node_table("Alert", names).to_pylist()
            if r["key"].startswith(prefix)}
    for key in ("a", "c"):
        assert rows[key]["delivery_state"] == "delivered" and rows[key]["delivered_at"] == start
        assert rows[key]["delivery_attempts"] == 1 and rows[key]["last_error"] is None
    assert rows["b"]["delivery_state"] == "pending" and rows["b"]["last_error"] == "HTTP 503"
    assert rows["b"]["next_attempt_at"] == start + timedelta(seconds=60)
    assert rows["b"]["delivered_at"] is None and rows["b"]["delivery_attempts"] == 1
    assert rows["d"]["delivery_attempts"] == 0 and rows["e"]["delivery_state"] == "none"
    entries = [(e["target"].removeprefix(prefix), e["outcome"], e["details"]["status"]) for e in audit.entries()]
    assert entries == [("c", "ok", 204), ("b", "error", 503), ("a", "ok", 204)]


def test_the_daily_step_thaws_the_collector_it_froze_and_leaves_a_frozen_process_alone() -> None:
    """``analyze_and_alert`` runs with the process's older objects frozen for the garbage collector: thawed after
    the run, after a failure too, and a process that froze its objects itself keeps them frozen."""
    import gc

    from algorithms.alerts import older_objects_frozen

    frozen_before = gc.get_freeze_count()  # an API snapshot built earlier in this process froze its objects
    gc.unfreeze()
    try:
        assert gc.get_freeze_count() == 0
        with older_objects_frozen():
            assert gc.get_freeze_count() > 0
        assert gc.get_freeze_count() == 0
        with pytest.raises(RuntimeError), older_objects_frozen():
            raise RuntimeError("the run failed")
        assert gc.get_freeze_count() == 0
        gc.freeze()
        frozen = gc.get_freeze_count()
        with older_objects_frozen():
            pass
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
        if frozen_before:
            gc.freeze()  # as the process had it (a superset of what was frozen: only what a snapshot kept)
