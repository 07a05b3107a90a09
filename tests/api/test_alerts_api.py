"""GET /api/v1/alerts and /api/v1/watches: authenticated, role- and TLP-aware, persons pseudonymised for
callers who see them masked."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from exports.tlp import pseudonym
from graph.embedded_store import EmbeddedStore
from tests.api.conftest import populate
from tests.keys import api_key, auth


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    root: Path = tmp_path_factory.mktemp("alerts-api")
    now = dt.datetime(2026, 12, 4, 12, 0)
    with EmbeddedStore(root / "graph.lbug") as store:
        store.init_schema()
        populate(store)
        store.upsert_nodes("Watch", [{"watch_id": "watch-1", "kind": "person", "value": "P-STRAW", "active": True,
                                      "created_at": now}])
        store.upsert_nodes("Alert", [
            {"alert_id": "alert-person", "rule": "watched_person", "subject_label": "Person",
             "subject_key": "P-STRAW", "watch_id": "watch-1", "created_at": now, "tlp": "amber",
             "reason": "a watched person's gun was recovered", "delivery_state": "none",
             "evidence": json.dumps({"trace_id": "T1", "person_key": "P-STRAW"})},
            {"alert_id": "alert-dealer", "rule": "dealer_anomaly", "subject_label": "Dealer",
             "subject_key": "1-58-00001", "created_at": now - dt.timedelta(hours=1), "tlp": "amber",
             "reason": "dealer enters the anomaly list", "delivery_state": "none",
             "evidence": json.dumps({"traces": 3})}])
    settings = Settings(db=root / "graph.lbug")
    roles = {"investigator": api_key(settings, "investigator"), "analyst": api_key(settings, "analyst"),
             "partner": api_key(settings, "partner"), "partner_amber": api_key(settings, "partner", "amber")}
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client, roles


def test_alerts_need_authentication(setup: tuple[TestClient, dict[str, str]]) -> None:
    client, _ = setup
    answer = client.get("/api/v1/alerts")
    assert answer.status_code == 401 and answer.headers["content-type"].startswith("application/problem+json")


def test_an_investigator_sees_every_alert_newest_first(setup: tuple[TestClient, dict[str, str]]) -> None:
    client, roles = setup
    page = client.get("/api/v1/alerts", headers=auth(roles["investigator"])).json()
    assert [a["alert_id"] for a in page["items"]] == ["alert-person", "alert-dealer"] and page["total"] == 2
    assert page["items"][0]["subject_key"] == "P-STRAW"
    assert json.loads(page["items"][0]["evidence"])["trace_id"] == "T1"
    only = client.get("/api/v1/alerts", params={"rule": "dealer_anomaly"}, headers=auth(roles["analyst"])).json()
    assert [a["alert_id"] for a in only["items"]] == ["alert-dealer"]


def test_tlp_and_masking_for_partners(setup: tuple[TestClient, dict[str, str]]) -> None:
    client, roles = setup
    green = client.get("/api/v1/alerts", headers=auth(roles["partner"])).json()
    assert green["items"] == []  # alerts are AMBER: not for a CLEAR/GREEN partner
    amber = client.get("/api/v1/alerts", headers=auth(roles["partner_amber"])).json()
    person = next(a for a in amber["items"] if a["alert_id"] == "alert-person")
    assert person["subject_key"].startswith("person-") and person["subject_key"] != "P-STRAW"
    assert "P-STRAW" not in json.dumps(amber)
    assert person["subject_key"] != pseudonym("P-STRAW", "")  # salted per partner


def test_the_watchlist_is_listed_for_cleared_callers(setup: tuple[TestClient, dict[str, str]]) -> None:
    client, roles = setup
    listed = client.get("/api/v1/watches", headers=auth(roles["analyst"])).json()["items"]
    assert [(w["watch_id"], w["kind"], w["value"]) for w in listed] == [("watch-1", "person", "P-STRAW")]
    assert client.get("/api/v1/watches", headers=auth(roles["partner"])).json()["items"] == []
