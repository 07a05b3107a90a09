"""Subjects through the API for the workspace (28 CFR 23.20(a), (h)): the same service as ``tracegraph subjects``,
a predicate required, role-gated (never a partner), audited; the CLI and the API list the same subjects."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from fastapi.testclient import TestClient

from algorithms.retention import SUBJECT_MAX_DAYS
from api.app import create_app
from api.settings import Settings
from graph.embedded_store import EmbeddedStore
from tests.keys import api_key, auth
from tests.retention.test_disseminations import ok
from tests.sharing.sharing_graph import populate

PREDICATE = "bought 9 pistols in 3 weeks for a trafficker (CI report 12)"


def test_subjects_through_the_api_agree_with_the_cli(tmp_path: Path) -> None:
    db = tmp_path / "subjects.lbug"
    with EmbeddedStore(db) as store:
        store.init_schema()
        populate(store)
    settings = Settings(db=db)
    headers = {role: auth(api_key(settings, role, name=f"{role} desk", purpose="workspace tests"))
               for role in ("analyst", "partner", "admin")}
    analyst_id = headers["analyst"]["X-API-Key"].split(".")[0]
    today = dt.date.today()
    with TestClient(create_app(settings)) as client:
        missing = client.post("/api/v1/subjects", json={"person_key": "P1", "case_id": "C-14"},
                              headers=headers["analyst"])
        assert missing.status_code == 422 and "predicate" in missing.text
        blank = client.post("/api/v1/subjects", json={"person_key": "P1", "case_id": "C-14", "predicate": "  "},
                            headers=headers["analyst"])
        assert blank.status_code == 422
        body = {"person_key": "P1", "predicate": PREDICATE, "case_id": "C-14"}
        assert client.post("/api/v1/subjects", json=body, headers=headers["partner"]).status_code == 403
        assert client.get("/api/v1/subjects", headers=headers["partner"]).status_code == 403
        assert client.post("/api/v1/subjects", json={**body, "person_key": "nobody"},
                           headers=headers["analyst"]).status_code == 404
        too_far = {**body, "review_by": (today + dt.timedelta(days=6 * 365)).isoformat()}
        assert client.post("/api/v1/subjects", json=too_far, headers=headers["analyst"]).status_code == 422
        added = client.post("/api/v1/subjects", json=body, headers=headers["analyst"])
        assert added.status_code == 201, added.text
        assert added.json()["review_by"] == (today + dt.timedelta(days=SUBJECT_MAX_DAYS)).isoformat()  # five years
        soon = (today + dt.timedelta(days=10)).isoformat()
        validated = client.post("/api/v1/subjects/P1/validate", json={"review_by": soon}, headers=headers["admin"])
        assert validated.status_code == 200 and validated.json()["review_by"] == soon
        past = {**body, "review_by": (today - dt.timedelta(days=1)).isoformat()}
        assert client.post("/api/v1/subjects", json=past, headers=headers["analyst"]).status_code == 422
        assert client.post("/api/v1/subjects/P2/validate", headers=headers["analyst"]).status_code == 404  # no subject
        listed = client.get("/api/v1/subjects", headers=headers["analyst"]).json()["items"]
        due = client.get("/api/v1/subjects", params={"due": "true"}, headers=headers["analyst"]).json()["items"]
        assert [s["person_key"] for s in listed] == ["P1"] and due == listed  # due within 30 days
        assert listed[0]["predicate"] == PREDICATE and listed[0]["case_id"] == "C-14"
        # the person's record follows the store without a restart (the snapshot follows its change stamp)
        assert client.get("/api/v1/persons/P1", headers=headers["analyst"]).status_code == 200

    cli = json.loads(ok(db, "subjects", "list", "--json").stdout.splitlines()[-1])["subjects"]
    assert cli == listed
    entries = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
    changes = [e for e in entries if e["action"].startswith("subjects.")]
    assert [(e["action"], e["target"]) for e in changes] == [("subjects.add", "person:P1"),
                                                             ("subjects.validate", "person:P1")]
    assert changes[0]["actor"] == analyst_id and changes[0]["details"]["case_id"] == "C-14"
    assert "pistols" not in json.dumps(entries)  # the predicate stays in the store, never in the log
    assert ok(db, "audit", "verify").returncode == 0
