"""POST /api/v1/watches and DELETE /api/v1/watches/{id}: the service ``tracegraph watch`` uses, roles, the audit
log, problem+json on bad input. A change is written through ``ApiContext.writing``; when other workers hold the
embedded file it waits in the journal beside the store: listings show it at once and the next writer (a CLI
command, a load, an analysis) folds it into the graph."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import audit_log_path, create_app
from api.audit import AuditLog
from api.security import KeyFile
from api.settings import Settings
from graph.embedded_store import EmbeddedStore
from tests.api.conftest import populate
from tests.cli_run import tracegraph
from tests.keys import api_key, auth

Setup = tuple[TestClient, dict[str, str], Settings]


@pytest.fixture()
def setup(tmp_path: Path) -> Iterator[Setup]:
    with EmbeddedStore(tmp_path / "graph.lbug") as store:
        store.init_schema()
        populate(store)
    settings = Settings(db=tmp_path / "graph.lbug")
    roles = {role: api_key(settings, role) for role in ("investigator", "analyst", "partner", "admin")}
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client, roles, settings


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return tracegraph("--db", settings.db, *args)


def test_add_list_and_remove_a_watch_through_the_api(setup: Setup) -> None:
    client, roles, settings = setup
    added = client.post("/api/v1/watches", json={"kind": "serial", "value": " abc-12* ", "note": "a partial"},
                        headers=auth(roles["analyst"]))
    assert added.status_code == 201, added.text
    watch = added.json()["watch"]
    assert watch["value"] == "ABC12*" and watch["active"] is True and watch["created_by"].startswith("api:")
    assert added.json()["applied"] is True  # one worker: written through ApiContext.writing
    listed = client.get("/api/v1/watches", headers=auth(roles["analyst"])).json()["items"]
    assert [(w["watch_id"], w["active"]) for w in listed] == [(watch["watch_id"], True)]
    removed = client.delete(f"/api/v1/watches/{watch['watch_id']}", headers=auth(roles["analyst"]))
    assert removed.status_code == 200 and removed.json()["watch"]["active"] is False
    listed = client.get("/api/v1/watches", headers=auth(roles["analyst"])).json()["items"]
    assert [(w["watch_id"], w["active"]) for w in listed] == [(watch["watch_id"], False)]
    client.app.state.audit_writer.flush()  # type: ignore[attr-defined]
    entries = list(AuditLog(audit_log_path(settings)).entries())
    actions = [(e["action"], e["target"], e["outcome"]) for e in entries if "watches" in e["action"]]
    assert ("POST /api/v1/watches", f"watch:{watch['watch_id']}", "ok") in actions
    assert ("DELETE /api/v1/watches/{watch_id}", f"watch:{watch['watch_id']}", "ok") in actions


def test_roles_decide_who_changes_the_watchlist(setup: Setup) -> None:
    client, roles, _ = setup
    person = {"kind": "person", "value": "P-STRAW"}
    partner = client.post("/api/v1/watches", json={"kind": "dealer", "value": "1-58-00001"},
                          headers=auth(roles["partner"]))
    assert partner.status_code == 403 and partner.headers["content-type"].startswith("application/problem+json")
    analyst = client.post("/api/v1/watches", json=person, headers=auth(roles["analyst"]))
    assert analyst.status_code == 403 and "persons in full" in analyst.json()["detail"]
    assert client.post("/api/v1/watches", json=person, headers=auth(roles["investigator"])).status_code == 201
    assert client.post("/api/v1/watches", json=person).status_code == 401
    watch_id = client.get("/api/v1/watches", headers=auth(roles["admin"])).json()["items"][0]["watch_id"]
    denied = client.delete(f"/api/v1/watches/{watch_id}", headers=auth(roles["analyst"]))
    assert denied.status_code == 403  # nor may an analyst stop watching a person


@pytest.mark.parametrize(("body", "status", "words"), [
    ({"kind": "boat", "value": "x"}, 422, "kind"),
    ({"kind": "serial", "value": "*1*"}, 422, "at least 3 characters"),
    ({"kind": "place", "value": "New York"}, 422, "a place is a location key"),
    ({"kind": "dealer", "value": "1-58-00001", "colour": "red"}, 422, "colour"),
    ({"kind": "dealer"}, 422, "value"),
])
def test_bad_watches_are_4xx_problems(setup: Setup, body: dict[str, str], status: int, words: str) -> None:
    client, roles, _ = setup
    answer = client.post("/api/v1/watches", json=body, headers=auth(roles["investigator"]))
    assert answer.status_code == status and answer.headers["content-type"].startswith("application/problem+json")
    assert words in answer.text


def test_removing_an_unknown_watch_is_404(setup: Setup) -> None:
    client, roles, _ = setup
    assert client.delete("/api/v1/watches/watch-0000000000000000",
                         headers=auth(roles["investigator"])).status_code == 404
    assert client.delete("/api/v1/watches/not%20a%20watch", headers=auth(roles["investigator"])).status_code == 422


@contextmanager
def _held_for_writing(db: Path) -> Iterator[None]:
    """Another process holding the embedded file for writing (a load, an analysis)."""
    code = ("import sys, time; from graph.embedded_store import EmbeddedStore; "
            "s = EmbeddedStore(sys.argv[1]); print('ready', flush=True); time.sleep(300)")
    worker = subprocess.Popen([sys.executable, "-c", code, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
        yield
    finally:
        worker.kill()
        worker.wait()


def test_the_cli_and_the_api_agree(tmp_path: Path) -> None:
    """The same watch through either face has the same id and value; the API's queued change reaches the graph
    with the next CLI write, and both faces then list the same watchlist."""
    db = tmp_path / "graph.lbug"
    with EmbeddedStore(db) as store:
        store.init_schema()
        populate(store)
    settings = Settings(db=db)
    record, secret = KeyFile.for_settings(settings).create("investigator", "agreement")
    headers = auth(f"{record.key_id}.{secret}")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client, _held_for_writing(db):
        answer = client.post("/api/v1/watches", json={"kind": "corridor", "value": "state:US-GA>state:US-NY"},
                             headers=headers).json()
        api_watch = answer["watch"]
        assert answer["applied"] is False
        listed = client.get("/api/v1/watches", headers=headers).json()["items"]
        assert [w["watch_id"] for w in listed] == [api_watch["watch_id"]]  # shown at once
    journal = db.with_name(db.name + ".watch-requests.jsonl")
    assert journal.read_text().count("\n") == 1
    cli_id = cli(settings, "watch", "add", "corridor", "state:US-GA>state:US-NY").stdout.strip()
    assert cli_id == api_watch["watch_id"]
    assert journal.read_text() == ""  # folded into the graph by the CLI's write
    cli(settings, "watch", "add", "dealer", "1-58-00001")
    cli_list = json.loads(cli(settings, "watch", "list", "--format", "json").stdout)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        api_list = client.get("/api/v1/watches", headers=headers).json()["items"]
    fields = ("watch_id", "kind", "value", "active")
    assert [tuple(w[f] for f in fields) for w in cli_list] == [tuple(w[f] for f in fields) for w in api_list]
    assert len(cli_list) == 2
