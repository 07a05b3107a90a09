"""Alerts as STIX 2.1 sightings to a real TAXII 2.1 collection (OASIS medallion 3.0.0 on loopback), through the
command lines a user runs, across a server outage: each sighting lands in the collection exactly once, valid for
the OASIS stix2-validator, audited as a dissemination; an alert above the collection's TLP is withheld and said
so. The dealers are real (ATF FFL list, Virginia excerpt: tests/data/PROVENANCE.md); the traces are made up."""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from medallion_durable import PASSWORD, USER, Medallion
from stix2validator import ValidationOptions, validate_string
from taxii2client.v21 import Collection

from api.sightings import FIELDS
from exports.alert_stix import ALERT_EXT_ID, sighting_id, sighting_objects
from exports.stix_extensions import schema_json
from exports.tlp import MARKING_IDS, pseudonym
from graph.embedded_store import EmbeddedStore
from tests.cli_run import tracegraph
from tests.net import silent_port
from tests.publicdata.test_watched_dealer_alert import COLD_DEAD_HANDS, DATA, HEADER, PHALANGE, _trace

RECIPIENT, PURPOSE = "Baltimore Police Department CGIC", "crime gun intelligence leads (MOU 2026-14)"


def _valid(objects: list[dict[str, Any]]) -> None:
    """Valid for the OASIS validator: no error, and no warning but {103} (ids are UUIDv5, deterministic on
    purpose: the same alert is the same object, so a repeated POST cannot duplicate it)."""
    bundle = {"type": "bundle", "id": "bundle--6ba7b810-9dad-41d1-80b4-00c04fd430c8", "objects": objects}
    result = validate_string(json.dumps(bundle), ValidationOptions(version="2.1"))
    assert result.is_valid and result.errors == [], [str(e) for e in result.errors]
    warnings = [str(w) for w in result.warnings if "{103}" not in str(w)]
    assert warnings == []


ROWS = [  # one stored alert per subject kind, as algorithms.alerts records them
    {"key": "alert-0a1", "rule": "watched_person", "subject_label": "Person", "subject_key": "P-ANN-DOE-1980",
     "reason": "a watched person's gun was recovered: trace T-9 recovered in BALTIMORE, MD on 2024-06-01",
     "evidence": json.dumps({"trace_id": "T-9", "firearm_key": "F-1", "sale_ids": ["S-1"],
                             "recovery_date": "2024-06-01", "recovery_state": "MD", "time_to_crime_days": 143}),
     "watch_id": "watch-1", "load_runs": '["load-1"]', "analysis_run_id": "run-2"},
    {"key": "alert-0a2", "rule": "watched_network", "subject_label": "Network", "subject_key": "net-7",
     "reason": "P-ROE-RICK joined the watched network net-7 (new ties in this batch)",
     "evidence": json.dumps({"person_key": "P-ROE-RICK"}), "watch_id": "watch-2"},
    {"key": "alert-0a3", "rule": "stolen_recovered", "subject_label": "Recovery", "subject_key": "T-10",
     "reason": "recovered gun F-2 was reported stolen", "evidence": json.dumps(
         {"trace_id": "T-10", "firearm_key": "F-2", "report_id": "R-1", "reported_date": "2023-01-01",
          "recovery_date": "2024-02-02"})},
    {"key": "alert-0a4", "rule": "dealer_anomaly", "subject_label": "Dealer", "subject_key": "1-54-20000",
     "reason": "dealer enters the anomaly list", "evidence": json.dumps({"traces": 9, "expected": 2.1})},
    {"key": "alert-0a5", "rule": "corridor_significant", "subject_label": "Location",
     "subject_key": "state:US-VA>state:US-MD", "reason": "corridor becomes significant",
     "evidence": json.dumps({"year": 2024, "firearms": 40})},
    {"key": "alert-0a6", "rule": "watched_serial", "subject_label": "Firearm", "subject_key": "F-3",
     "reason": "serial matches", "evidence": json.dumps({"trace_id": "T-11", "recovery_date": "2024-03-03"})},
    {"key": "alert-0a7", "rule": "watched_place", "subject_label": "Location", "subject_key": "city:US-MD:BALTIMORE",
     "reason": "a gun was recovered in city:US-MD:BALTIMORE", "evidence": json.dumps({"trace_id": "T-12"})},
]


@pytest.mark.parametrize("row", ROWS, ids=[r["rule"] for r in ROWS])
def test_each_alert_kind_is_a_valid_sighting_of_what_it_concerns(row: dict[str, Any]) -> None:
    alert = {**row, "created_at": "2026-12-04T09:30:00", "tlp": "amber"}
    objects = sighting_objects(alert, salt="partner-salt")
    _valid(objects)
    sighting, subject = objects[0], objects[1]
    assert sighting["type"] == "sighting" and sighting["id"] == sighting_id(row["key"])
    assert sighting["sighting_of_ref"] == subject["id"]
    assert subject["type"] in {"identity", "threat-actor", "indicator", "location"}
    assert sighting["where_sighted_refs"] == [objects[2]["id"]] and objects[2]["name"] == "tracegraph"
    assert sighting["object_marking_refs"] == [MARKING_IDS["amber"]] == subject["object_marking_refs"]
    assert sighting["count"] == 1 and sighting["first_seen"] == sighting["last_seen"]
    ext = sighting["extensions"][ALERT_EXT_ID]
    assert not list(Draft202012Validator(schema_json("alert")).iter_errors(ext))
    assert ext["alert_id"] == row["key"] and ext["rule"] == row["rule"]
    evidence = json.loads(row["evidence"])
    if "trace_id" in evidence:  # the trace row behind it, as observed-data over our recovery SCO
        [observed] = [o for o in objects if o["id"] in sighting["observed_data_refs"]]
        [sco] = [o for o in objects if o["id"] in observed["object_refs"]]
        assert sco["trace_id"] == evidence["trace_id"]
        assert not list(Draft202012Validator(schema_json("crime-gun-recovery")).iter_errors(sco))
        if "recovery_date" in evidence:
            assert sighting["first_seen"].startswith(evidence["recovery_date"])
    else:
        assert "observed_data_refs" not in sighting
    text = json.dumps(objects)
    for person in ("P-ANN-DOE-1980", "P-ROE-RICK"):  # persons leave only as the recipient's pseudonym
        assert person not in text
    if row["subject_label"] == "Person":
        assert subject["name"] == pseudonym("P-ANN-DOE-1980", "partner-salt")
    assert sighting_objects(alert, salt="partner-salt") == objects  # the same alert, the same object versions


def _run(db: Path, env: dict[str, str], *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    result = tracegraph("--db", db, *args, env=env)  # in this process (tests/cli_run.py)
    assert result.returncode == code, result.stderr
    return result


def _csv(tmp_path: Path, name: str, *rows: str) -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def _sightings(server: Medallion) -> Counter[str]:
    return Counter(o["id"] for o in server.objects() if o["type"] == "sighting")


def _alerts(db: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = json.loads(_run(db, env, "alerts", "--format", "json").stdout)
    return listed


def test_sightings_reach_a_real_taxii_collection_exactly_once_across_an_outage(tmp_path: Path) -> None:
    server = Medallion(tmp_path)
    db = tmp_path / "va.lbug"
    env = {**os.environ, "TRACEGRAPH_ALERT_TAXII_COLLECTION": server.collection_url,
           "TRACEGRAPH_ALERT_TAXII_USER": USER, "TRACEGRAPH_ALERT_TAXII_PASSWORD": PASSWORD,
           "TRACEGRAPH_ALERT_TAXII_TLP": "amber", "TRACEGRAPH_ALERT_TAXII_RECIPIENT": RECIPIENT,
           "TRACEGRAPH_ALERT_TAXII_PURPOSE": PURPOSE, "TRACEGRAPH_ALERT_BACKOFF_S": "0"}
    history = _csv(tmp_path, "history.csv",
                   _trace("T-1", "2023-03-01", "BALTIMORE", "MD", "BXA100", COLD_DEAD_HANDS, "2022-11-01", "DOE"),
                   _trace("T-2", "2023-04-01", "RICHMOND", "VA", "BXA200", PHALANGE, "2015-01-01", "POE"))
    day1 = _csv(tmp_path, "day1.csv",
                _trace("T-3", "2024-06-01", "BALTIMORE", "MD", "BXA777", COLD_DEAD_HANDS, "2024-01-10", "LOE"))
    day2 = _csv(tmp_path, "day2.csv",
                _trace("T-4", "2024-07-01", "BALTIMORE", "MD", "BXA778", COLD_DEAD_HANDS, "2024-03-10", "KOE"),
                _trace("T-5", "2024-07-02", "TOWSON", "MD", "QXA779", COLD_DEAD_HANDS, "2024-02-11", "JOE"))
    plain = {k: v for k, v in env.items() if not k.startswith("TRACEGRAPH_ALERT_TAXII")}
    _run(db, plain, "init")
    _run(db, plain, "load", "ffl", str(DATA / "0125-ffl-list-va-excerpt.txt"))
    _run(db, plain, "load", "traces", str(history))
    _run(db, plain, "analyze")
    _run(db, plain, "watch", "add", "dealer", "1-54-20000")
    _run(db, plain, "watch", "add", "serial", "*XA7*")
    try:
        server.start()
        first = _run(db, env, "load", "traces", str(day1))
        assert "TAXII: delivered" in first.stderr
        day1_alerts = _alerts(db, env)
        assert {a["rule"] for a in day1_alerts} >= {"watched_dealer", "watched_serial"}
        assert {a["taxii_state"] for a in day1_alerts} == {"delivered"}
        assert _sightings(server) == Counter(sighting_id(a["alert_id"]) for a in day1_alerts)

        server.stop()  # the outage: the day's batch arrives while the partner's server is down
        second = _run(db, env, "load", "traces", str(day2))
        assert "TAXII: delivered 0, failed" in second.stderr
        waiting = [a for a in _alerts(db, env) if a["taxii_state"] == "pending"]
        assert len(waiting) >= 3  # two dealer traces and a serial match at least
        assert PASSWORD not in second.stderr

        # one POST reached the server but its answer was lost: the sighting is there, the alert still pending
        salt = (tmp_path / "sharing_salt").read_text().strip()
        server.start()
        with EmbeddedStore(db, read_only=True) as store:
            rows = {r["key"]: r for r in store.node_table("Alert", FIELDS).to_pylist()}
        lost = sighting_objects(rows[waiting[0]["alert_id"]], salt=salt)
        Collection(server.collection_url, user=USER, password=PASSWORD).add_objects({"objects": lost})

        retried = _run(db, env, "alerts", "deliver")
        assert f"TAXII: delivered {len(waiting)}, failed 0" in retried.stderr
        again = _run(db, env, "alerts", "deliver")
        assert "TAXII: delivered 0, failed 0 (will retry), waiting 0" in again.stderr
        held = server.objects()
    finally:
        server.stop()
    every = _alerts(db, env)
    assert {a["taxii_state"] for a in every} == {"delivered"}
    counts = Counter(o["id"] for o in held if o["type"] == "sighting")
    assert counts == Counter(sighting_id(a["alert_id"]) for a in every)  # each alert once, nothing else
    _valid(held)
    text = json.dumps(held)
    with EmbeddedStore(db, read_only=True) as store:
        persons = store.node_table("Person").column("key").to_pylist()
    assert persons and not any(p in text for p in persons)  # persons leave pseudonymised
    for name in ("LOE", "KOE", "JOE", "1 OAK ST"):
        assert f'"{name}' not in text

    releases = json.loads(_run(db, env, "disseminations", "--format", "json").stdout)
    taxii = [r for r in releases if r["channel"] == "taxii"]
    assert len(taxii) == len(every)  # one dissemination record per sighting delivered (the lost answer too)
    assert {(r["recipient"], r["purpose"], r["tlp"]) for r in taxii} == {(RECIPIENT, PURPOSE, "amber")}
    assert all(len(r["sha256"]) == 64 and r["objects"] >= 3 for r in taxii)
    assert sorted(r["target"].rsplit("#", 1)[1] for r in taxii) == sorted(counts)
    audit_text = (tmp_path / "audit.jsonl").read_text()
    assert PASSWORD not in audit_text and USER not in audit_text


def test_an_alert_above_the_collections_tlp_is_withheld_and_said_so(tmp_path: Path) -> None:
    server = Medallion(tmp_path)
    db = tmp_path / "va.lbug"
    env = {**os.environ, "TRACEGRAPH_ALERT_TAXII_COLLECTION": server.collection_url,
           "TRACEGRAPH_ALERT_TAXII_USER": USER, "TRACEGRAPH_ALERT_TAXII_PASSWORD": PASSWORD,
           "TRACEGRAPH_ALERT_TAXII_RECIPIENT": RECIPIENT, "TRACEGRAPH_ALERT_TAXII_PURPOSE": PURPOSE}
    plain = {k: v for k, v in env.items() if not k.startswith("TRACEGRAPH_ALERT_TAXII")}
    _run(db, plain, "init")
    _run(db, plain, "load", "ffl", str(DATA / "0125-ffl-list-va-excerpt.txt"))
    _run(db, plain, "load", "traces", str(_csv(tmp_path, "h.csv", _trace(
        "T-1", "2023-03-01", "BALTIMORE", "MD", "BXA100", COLD_DEAD_HANDS, "2022-11-01", "DOE"))))
    _run(db, plain, "analyze")
    _run(db, plain, "watch", "add", "dealer", "1-54-20000")
    try:
        server.start()  # a GREEN collection (the default ceiling): alerts are AMBER
        loaded = _run(db, env, "load", "traces", str(_csv(tmp_path, "d.csv", _trace(
            "T-3", "2024-06-01", "BALTIMORE", "MD", "BXA777", COLD_DEAD_HANDS, "2024-01-10", "LOE"))))
        assert "TAXII: delivered 0, failed 0 (will retry), waiting 0, withheld" in loaded.stderr
        assert _sightings(server) == Counter()
    finally:
        server.stop()
    alerts = _alerts(db, env)
    assert alerts and {a["taxii_state"] for a in alerts} == {"withheld"}
    assert f"withheld {len(alerts)} (TLP above the collection's TLP:GREEN: not sent)" in loaded.stderr
    with EmbeddedStore(db, read_only=True) as store:
        why = {r["taxii_last_error"] for r in store.node_table("Alert", ("taxii_last_error",)).to_pylist()}
    assert why == {"TLP:AMBER is above the collection's TLP:GREEN: not sent"}
    bad = _run(db, {**env, "TRACEGRAPH_ALERT_TAXII_RECIPIENT": ""}, "alerts", "deliver", code=2)
    assert "--recipient" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_a_server_that_never_answers_is_a_failure_that_backs_off(tmp_path: Path) -> None:
    from datetime import datetime, timedelta

    from api.audit import AuditLog
    from api.sightings import deliver, target

    start = datetime(2026, 12, 4, 9, 0)
    audit = AuditLog(tmp_path / "audit.jsonl")
    with silent_port() as port:
        url = f"http://127.0.0.1:{port}/api1/collections/{'0' * 8}-0000-4000-8000-{'0' * 12}/"
        goal = target(url, tlp="amber", recipient=RECIPIENT, purpose=PURPOSE, salt="s", user=USER,
                      password=PASSWORD)
        with EmbeddedStore(tmp_path / "g.lbug") as store:
            store.init_schema()
            store.upsert_nodes("Alert", [{**{k: v for k, v in ROWS[3].items() if k != "key"}, "alert_id": "alert-0a4",
                                          "created_at": start, "tlp": "amber", "taxii_state": "pending",
                                          "taxii_attempts": 0}])
            began = datetime.now()
            first = deliver(store, goal, audit=audit, now=start, base_backoff=60, timeout=1.0)
            assert (datetime.now() - began).total_seconds() < 30  # gave up, did not hang
            assert (first.delivered, first.failed) == (0, 1)
            soon = deliver(store, goal, audit=audit, now=start + timedelta(seconds=30), base_backoff=60, timeout=1.0)
            assert (soon.failed, soon.waiting) == (0, 1)  # backing off: 60 s after the first failure
            later = deliver(store, goal, audit=audit, now=start + timedelta(seconds=61), base_backoff=60, timeout=1.0)
            assert later.failed == 1
            [row] = store.node_table("Alert", ("taxii_state", "taxii_attempts", "taxii_last_error",
                                               "taxii_next_attempt_at")).to_pylist()
    assert row["taxii_state"] == "pending" and row["taxii_attempts"] == 2
    assert row["taxii_last_error"].endswith(f"from {url}") and "Timeout" in row["taxii_last_error"]
    assert row["taxii_next_attempt_at"] == start + timedelta(seconds=61 + 120)  # doubled
    text = (tmp_path / "audit.jsonl").read_text()
    assert PASSWORD not in text and [e["outcome"] for e in audit.entries()] == ["error", "error"]


def test_a_days_alerts_go_in_a_few_requests_each_sighting_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    """A national day raises a few hundred alerts: they reach the collection in chunks (one query for what it
    already holds, one POST per chunk), not two requests per alert; each sighting lands once and is recorded as
    its own dissemination, and an alert above the collection's TLP is still withheld one by one."""
    from datetime import datetime

    import requests

    from api.audit import AuditLog
    from api.sightings import CHUNK, deliver, target

    calls: list[str] = []
    real = requests.Session.request

    def counted(self: requests.Session, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(method)
        return real(self, method, url, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "request", counted)
    start = datetime(2026, 12, 5, 9, 0)
    kinds = [{k: v for k, v in row.items() if k != "key"} for row in ROWS]
    alerts = [{**kinds[i % len(kinds)], "alert_id": f"alert-day-{i:03d}", "created_at": start,
               "tlp": "red" if i % 40 == 7 else "amber", "taxii_state": "pending", "taxii_attempts": 0}
              for i in range(120)]
    server = Medallion(tmp_path / "taxii")
    audit = AuditLog(tmp_path / "audit.jsonl")
    try:
        server.start()
        goal = target(server.collection_url, tlp="amber", recipient=RECIPIENT, purpose=PURPOSE, salt="s",
                      user=USER, password=PASSWORD)
        with EmbeddedStore(tmp_path / "g.lbug") as store:
            store.init_schema()
            store.upsert_nodes("Alert", alerts)
            done = deliver(store, goal, audit=audit, now=start)
            again = deliver(store, goal, audit=audit, now=start)
            states = {r["key"]: r["taxii_state"] for r in store.node_table("Alert", ("taxii_state",)).to_pylist()}
        held = server.objects()
    finally:
        server.stop()
    red = {a["alert_id"] for a in alerts if a["tlp"] == "red"}
    assert (done.delivered, done.withheld, done.failed) == (120 - len(red), len(red), 0)
    assert (again.delivered, again.failed, again.waiting) == (0, 0, 0)
    assert {k for k, s in states.items() if s == "withheld"} == red
    assert Counter(o["id"] for o in held if o["type"] == "sighting") == Counter(
        sighting_id(a["alert_id"]) for a in alerts if a["alert_id"] not in red)
    chunks = -(-len(alerts) // CHUNK)
    assert calls.count("POST") == chunks  # one envelope per chunk
    assert len(calls) <= 4 * chunks + 2, calls  # a query per chunk (and the client's discovery), not 2 per alert
    releases = [e for e in audit.entries() if e["action"] == "disseminate"]
    assert len(releases) == 120 - len(red) and len({e["target"] for e in releases}) == len(releases)
