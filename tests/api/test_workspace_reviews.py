"""Straw-queue review decisions (issue 19): recorded in the graph through the API and the CLI, audited, listed,
shown on the queue as last_review, kept across a snapshot rebuild; partners refused."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import audit_log_path, create_app
from api.settings import Settings
from graph.errors import NotFound
from tests.api.conftest import Keys, auth
from tests.worlds import copy_store

QUEUE = "/api/v1/straw-queue"


def reviews_url(person: str) -> str:
    return f"{QUEUE}/{person}/reviews"


def decide(client: TestClient, key: str, person: str, decision: str, reason: str) -> dict[str, object]:
    answer = client.post(reviews_url(person), json={"decision": decision, "reason": reason}, headers=auth(key))
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_a_decision_is_stored_listed_and_shown_on_the_queue(client: TestClient, keys: Keys) -> None:
    made = decide(client, keys.investigator, "P-STRAW", "escalated", "  three guns in one week, two recovered  ")
    assert {k: made[k] for k in ("person", "decision", "reason", "by")} == {
        "person": "P-STRAW", "decision": "escalated", "reason": "three guns in one week, two recovered",
        "by": "test investigator"}
    assert str(made["at"]).endswith("Z")
    later = decide(client, keys.admin, "P-STRAW", "reviewed", "case opened")
    listed = client.get(reviews_url("P-STRAW"), headers=auth(keys.investigator)).json()
    assert listed["person"] == "P-STRAW"
    assert [i["decision"] for i in listed["items"]] == ["reviewed", "escalated"]  # newest first
    assert listed["items"][0] == later
    queue = client.get(QUEUE, params={"limit": 50}, headers=auth(keys.investigator)).json()["items"]
    by_key = {item["person_key"]: item for item in queue}
    assert by_key["P-STRAW"]["last_review"] == {k: later[k] for k in ("decision", "reason", "by", "at")}
    assert by_key["P-POSS"]["last_review"] is None


def test_decisions_survive_a_snapshot_rebuild(client: TestClient, keys: Keys) -> None:
    decide(client, keys.investigator, "P-001", "dismissed", "a collector with a licence")
    assert client.post("/api/v1/admin/snapshot", headers=auth(keys.admin)).status_code == 200
    listed = client.get(reviews_url("P-001"), headers=auth(keys.investigator)).json()["items"]
    assert [(i["decision"], i["reason"]) for i in listed] == [("dismissed", "a collector with a licence")]
    queue = client.get(QUEUE, params={"limit": 50}, headers=auth(keys.investigator)).json()["items"]
    assert next(i for i in queue if i["person_key"] == "P-001")["last_review"]["decision"] == "dismissed"


def test_analyst_reviews_by_pseudonym_and_partners_are_refused(client: TestClient, keys: Keys) -> None:
    queue = client.get(QUEUE, params={"network_id": "N1"}, headers=auth(keys.analyst)).json()["items"]
    masked = queue[-1]["person_key"]  # P-POSS (0.5, after P-STRAW's 0.97), as the analyst sees it
    assert masked.startswith("person-")
    made = decide(client, keys.analyst, masked, "reviewed", "nothing further")
    assert made["person"] == masked
    full = client.get(reviews_url("P-POSS"), headers=auth(keys.investigator)).json()["items"]
    assert full[0]["reason"] == "nothing further" and full[0]["by"] == "test analyst"
    assert client.post(reviews_url("P-POSS"), json={"decision": "reviewed", "reason": "x"},
                       headers=auth(keys.analyst)).status_code == 404  # real keys are not the analyst's names
    for key in (keys.partner_amber, keys.partner_green):
        for answer in (client.post(reviews_url(masked), json={"decision": "reviewed", "reason": "x"},
                                   headers=auth(key)),
                       client.get(reviews_url(masked), headers=auth(key))):
            assert answer.status_code == 403 and answer.headers["content-type"] == "application/problem+json"
    partner_queue = client.get(QUEUE, params={"limit": 50}, headers=auth(keys.partner_amber)).json()["items"]
    assert partner_queue and all(i["last_review"] is None for i in partner_queue)
    assert "nothing further" not in str(partner_queue)


def test_bad_requests_are_4xx_problems(client: TestClient, keys: Keys) -> None:
    for body in ({"decision": "approved", "reason": "x"}, {"decision": "reviewed"}, {"decision": "reviewed",
                                                                                     "reason": ""},
                 {"decision": "reviewed", "reason": "   "}, {"decision": "reviewed", "reason": "x" * 2001},
                 {"decision": "reviewed", "reason": 7}, {"decision": "reviewed", "reason": "x", "extra": 1}, {}):
        answer = client.post(reviews_url("P-STRAW"), json=body, headers=auth(keys.investigator))
        assert answer.status_code == 422, body
        assert answer.headers["content-type"] == "application/problem+json"
    assert client.post(reviews_url("NO-SUCH"), json={"decision": "reviewed", "reason": "x"},
                       headers=auth(keys.investigator)).status_code == 404
    assert client.get(reviews_url("NO-SUCH"), headers=auth(keys.investigator)).status_code == 404
    assert client.post(reviews_url("P-STRAW"), json={"decision": "reviewed", "reason": "x"}).status_code == 401


def test_decisions_are_audited_without_the_reason(client: TestClient, keys: Keys,
                                                  api_env: tuple[Settings, Keys]) -> None:
    settings, _ = api_env
    decide(client, keys.investigator, "P-002", "escalated", "SECRET-REASON-TEXT")
    deadline = time.monotonic() + 5
    while True:
        text = audit_log_path(settings).read_text()
        entries = [json.loads(line) for line in text.splitlines()]
        found = [e for e in entries if e["action"] == "straw review" and e["target"] == "person:P-002"]
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert found and found[0]["actor"] == keys.investigator.split(".")[0]
    assert found[0]["details"]["decision"] == "escalated"
    assert "SECRET-REASON-TEXT" not in text


def test_with_the_session_cookie_a_decision_needs_the_csrf_token(client: TestClient, keys: Keys) -> None:
    client.cookies.clear()
    token = client.post("/api/v1/session", json={"api_key": keys.investigator}).json()["csrf_token"]
    body = {"decision": "reviewed", "reason": "seen"}
    assert client.post(reviews_url("P-003"), json=body).status_code == 403
    assert client.post(reviews_url("P-003"), json=body, headers={"X-CSRF-Token": token}).status_code == 201
    client.cookies.clear()


def test_cli_and_api_agree(api_env: tuple[Settings, Keys], tmp_path: Path) -> None:
    """A decision made on one surface is the same on the other (the store file changes hands between them)."""
    from api.cli import app

    settings, keys = api_env
    db = tmp_path / "graph.lbug"
    copy_store(Path(settings.db), db)
    copy = settings.model_copy(update={"db": db, "audit_log": tmp_path / "audit.jsonl",
                                       "api_keys_file": settings.api_keys_file or Path(settings.db).parent
                                       / "api_keys.json"})
    runner = CliRunner()
    made = runner.invoke(app, ["--db", str(db), "review", "P-004", "--decision", "escalated", "--reason",
                               "from the command line", "--by", "cli analyst"], catch_exceptions=False)
    assert made.exit_code == 0, made.output
    cli_row = json.loads(made.stdout.strip().splitlines()[-1])
    with TestClient(create_app(copy)) as api:
        listed = api.get(reviews_url("P-004"), headers=auth(keys.investigator)).json()["items"]
        assert [(i["decision"], i["reason"], i["by"], i["at"]) for i in listed] == [
            ("escalated", "from the command line", "cli analyst", cli_row["at"])]
        decide(api, keys.investigator, "P-004", "dismissed", "from the API")
        api_rows = api.get(reviews_url("P-004"), headers=auth(keys.investigator)).json()["items"]
    shown = runner.invoke(app, ["--db", str(db), "reviews", "P-004"], catch_exceptions=False)
    assert shown.exit_code == 0, shown.output
    cli_rows = [json.loads(line) for line in shown.stdout.strip().splitlines()]
    assert [(r["decision"], r["reason"], r["by_name"], r["at"]) for r in cli_rows] == [
        (i["decision"], i["reason"], i["by"], i["at"]) for i in api_rows]
    assert cli_rows[0]["by_key_id"] == keys.investigator.split(".")[0]
    bad = subprocess.run([sys.executable, "-c", "from api.cli import main; main()", "--db", str(db), "review",
                          "P-004", "--decision", "approved", "--reason", "x"], capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 2 and "--decision must be one of" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    missing = runner.invoke(app, ["--db", str(db), "review", "NO-SUCH", "--decision", "reviewed", "--reason", "x"])
    assert isinstance(missing.exception, NotFound)
    audit = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert any(e["actor"] == "cli" and e["action"] == "straw review" and e["target"] == "person:P-004"
               for e in audit)


def test_a_purged_person_takes_their_reviews_along(tmp_path: Path) -> None:
    """retention apply deletes a purged person's review decisions first (their reasons may name the person)."""
    from api.services import reviews
    from api.services.port import StorePort
    from graph.embedded_store import EmbeddedStore

    with EmbeddedStore(tmp_path / "graph.lbug") as store:
        store.init_schema()
        store.upsert_nodes("Person", [{"person_key": "GONE"}, {"person_key": "KEPT"}])
        for person in ("GONE", "GONE", "KEPT"):
            reviews.write(store, reviews.new_review(person, "reviewed", f"about {person}", by_key_id="cli",
                                                    by_name="t", straw_score=None))
        store.query("retention_delete_reviews", {"keys": ["GONE"]})
        store.query("retention_delete_persons", {"keys": ["GONE"]})
        assert store.counts()["nodes"]["Review"] == 1
        assert [r["reason"] for r in reviews.history(StorePort(store))] == ["about KEPT"]
