"""Retention on the simulated world (real loaders, real analysis): a purge is complete and costs dealers nothing.

One world is simulated, loaded and analysed per session; each test works on a copy of its store file."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from algorithms import retention
from algorithms.analyze import analyze, write_back
from api.app import create_app
from api.security import KeyFile
from api.settings import Settings
from graph.embedded_store import EmbeddedStore
from tests.retention.retention_world import run

DEALER_FIGURES = ("trace_count", "short_ttc_share", "multiple_sale_share", "obliterated_share", "expected_traces",
                  "anomaly_score", "anomaly_indicators", "sales_index", "sales_index_confidence")


def dealer_figures(store: EmbeddedStore) -> list[dict[str, Any]]:
    return sorted(store.node_table("Dealer", DEALER_FIGURES).to_pylist(), key=lambda r: r["key"])


def test_dealer_analytics_are_identical_after_a_purge(world: tuple[Path, dt.date]) -> None:
    db, last = world
    with EmbeddedStore(db) as store:
        before = dealer_figures(store)
        done = retention.apply(store, last)
        assert done.summary()["total"] > 50 and done.reports > 50
        write_back(store, analyze(store, seed=0))
        after = dealer_figures(store)
        assert any(r["multiple_sale_share"] for r in after)
        assert after == before
        # the stand-ins are nobody: no score (so no rank: ranks are derived from scores), no network
        persons = store.node_table("Person", ("purged", "straw_score", "network_id")).to_pylist()
        standins = [p for p in persons if p["purged"]]
        assert standins and all(p["key"].startswith(retention.PURGED_PREFIX) for p in standins)
        assert all(p["straw_score"] is None and p["network_id"] is None
                   for p in standins)
        members = store.edge_list("MEMBER_OF", "Person", "Network").column("src").to_pylist()
        assert not [m for m in members if str(m).startswith(retention.PURGED_PREFIX)]


def test_after_a_purge_the_next_analysis_is_a_full_one(world: tuple[Path, dt.date]) -> None:
    """A purge removes rows from the groups an incremental run takes as only growing (algorithms/straw_groups.py):
    until a full analysis, the incremental run refuses (and `tracegraph load` says so)."""
    from algorithms import incremental

    db, last = world
    with EmbeddedStore(db) as store:
        assert retention.apply(store, last).summary()["total"] > 0
        with pytest.raises(incremental.NeedsFullAnalysis, match="purge"):
            incremental.analyze_incremental(store)
        write_back(store, analyze(store, seed=0))
        assert incremental.analyze_incremental(store).touched.new_runs == []


def _victim(store: EmbeddedStore, removed: list[str]) -> dict[str, Any]:
    """A removed person whose name and date of birth are unique in the store, with a straw score."""
    people = store.node_table("Person", ("last_name", "first_name", "dob", "straw_score")).to_pylist()
    names: dict[tuple[Any, Any], int] = {}
    for p in people:
        names[(p["last_name"], p["first_name"])] = names.get((p["last_name"], p["first_name"]), 0) + 1
    chosen = [p for p in people if p["key"] in set(removed) and p["dob"] and p["straw_score"] is not None
              and names[(p["last_name"], p["first_name"])] == 1]
    assert chosen, "the world has no removable person with a unique name"
    return chosen[0]


def _mentions(text: str, person: dict[str, Any]) -> bool:
    return person["key"] in text or (person["last_name"] in text and person["first_name"] in text
                                     and str(person["dob"]) in text)


@pytest.fixture
def purged_api(world: tuple[Path, dt.date]) -> Iterator[tuple[TestClient, dict[str, Any], Settings, str]]:
    db, last = world
    with EmbeddedStore(db) as store:
        victim = _victim(store, retention.plan(store, last).persons)
    run("--db", str(db), "retention", "apply", "--as-of", last.isoformat(), "--json", cwd=db.parent)
    settings = Settings(db=db)
    record, secret = KeyFile.for_settings(settings).create("investigator", "test investigator")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client, victim, settings, f"{record.key_id}.{secret}"


def test_a_purged_identity_is_unreachable_everywhere(purged_api: tuple[TestClient, dict[str, Any], Settings, str],
                                                     tmp_path: Path) -> None:
    client, victim, settings, key = purged_api
    headers = {"X-API-Key": key}
    assert client.get(f"/api/v1/persons/{victim['key']}", headers=headers).status_code == 404
    found = client.post("/api/v1/search", headers=headers,
                        json={"kind": "name", "q": f"{victim['last_name']}, {victim['first_name']}"})
    assert found.status_code == 200 and not _mentions(found.text, victim)
    path = client.get(f"/api/v1/paths?source=person:{victim['key']}&target=dealer:x", headers=headers)
    assert path.status_code == 404
    queue = client.get("/api/v1/straw-queue?limit=100", headers=headers)
    assert queue.status_code == 200 and not _mentions(queue.text, victim)
    for tlp in ("clear", "green", "amber", "amber+strict", "red"):
        bundle = client.get("/api/v1/exports/stix", params={"tlp": tlp}, headers=headers)
        assert bundle.status_code == 200, (tlp, bundle.text[:300])
        assert not _mentions(bundle.text, victim), tlp
        assert retention.PURGED_PREFIX not in bundle.text
    geo = client.get("/api/v1/exports/geojson?layers=corridors&layers=hubs&layers=dealers&layers=recoveries",
                     headers=headers)
    assert geo.status_code == 200 and not _mentions(geo.text, victim)
    out = tmp_path / "red.json"
    run("--db", str(settings.db), "export", "stix", "--tlp", "red", "--role", "investigator", "--out", str(out),
        cwd=tmp_path)
    assert not _mentions(out.read_text(encoding="utf-8"), victim)


def test_plan_and_apply_through_the_cli(world: tuple[Path, dt.date]) -> None:
    db, last = world
    as_of = last.isoformat()
    planned = json.loads(run("--db", str(db), "retention", "plan", "--as-of", as_of, "--json",
                             cwd=db.parent).stdout.splitlines()[-1])
    assert set(planned) >= {"as_of", "policy", "rules", "total"}
    assert planned["as_of"] == as_of and planned["policy"] == "atf" and planned["total"] > 0
    assert all(set(r) == {"rule", "basis", "records"} for r in planned["rules"])
    again = json.loads(run("--db", str(db), "retention", "plan", "--as-of", as_of, "--json",
                           cwd=db.parent).stdout.splitlines()[-1])
    assert again == planned  # plan changed nothing
    applied = json.loads(run("--db", str(db), "retention", "apply", "--as-of", as_of, "--json",
                             cwd=db.parent).stdout.splitlines()[-1])
    assert applied == planned
    second = json.loads(run("--db", str(db), "retention", "apply", "--as-of", as_of, "--json",
                            cwd=db.parent).stdout.splitlines()[-1])
    assert second["total"] == 0 and all(r["records"] == 0 for r in second["rules"])
    log = [json.loads(line) for line in (db.parent / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
    applies = [e for e in log if e["action"] == "retention.apply"]
    assert [e["details"]["total"] for e in applies] == [planned["total"], 0]
    text = json.dumps(applies)
    with EmbeddedStore(db) as store:  # counts only: no person key in the audit entries
        assert not any(k in text for k in store.node_table("Person").column("key").to_pylist()[:200])

