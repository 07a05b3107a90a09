"""Every request lands in the hash-chained audit log (no personal data); errors are problem+json."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from api.app import audit_log_path
from api.audit import AuditLog
from api.settings import Settings
from tests.api.conftest import Keys, auth


def test_requests_are_audited_without_personal_data(client: TestClient, keys: Keys,
                                                    api_env: tuple[Settings, Keys]) -> None:
    log = AuditLog(audit_log_path(api_env[0]))
    before = log.head()
    client.get("/api/v1/persons/P-STRAW", headers=auth(keys.partner_green))
    client.post("/api/v1/search", json={"kind": "name", "q": "DOE, JANE"}, headers=auth(keys.investigator))
    client.get("/api/v1/persons/P-STRAW")
    client.app.state.audit_writer.flush()  # type: ignore[attr-defined]  # entries are group-committed
    entries = list(log.entries())
    new = [e for e in entries if before is None or e["seq"] > before["seq"]]
    assert [(e["action"], e["outcome"], e["details"]["status"]) for e in new] == [
        ("GET /api/v1/persons/{person_key}", "denied", 403),
        ("POST /api/v1/search", "ok", 200),
        ("GET /api/v1/persons/{person_key}", "denied", 401)]
    assert new[0]["actor"] == keys.partner_green.split(".")[0] and new[0]["target"] == "person:P-STRAW"
    assert new[2]["actor"] == "anonymous"
    text = log.path.read_text()
    assert "DOE" not in text and "JANE" not in text
    assert keys.investigator.split(".")[1] not in text
    assert log.verify().ok


def test_audit_chain_detects_an_edited_entry(client: TestClient, keys: Keys,
                                             api_env: tuple[Settings, Keys], tmp_path: object) -> None:
    client.get("/api/v1/health")
    client.get("/api/v1/networks/N1", headers=auth(keys.investigator))
    client.app.state.audit_writer.flush()  # type: ignore[attr-defined]
    source = audit_log_path(api_env[0])
    lines = source.read_text().splitlines()
    entry = json.loads(lines[1])
    entry["actor"] = "someone-else"
    lines[1] = json.dumps(entry, sort_keys=True)
    copy = source.with_name("edited.jsonl")
    copy.write_text("\n".join(lines) + "\n")
    result = AuditLog(copy).verify()
    assert not result.ok and result.line == 2


def assert_problem(response: object, status: int) -> dict[str, object]:
    assert getattr(response, "status_code") == status  # noqa: B009
    assert getattr(response, "headers")["content-type"] == "application/problem+json"  # noqa: B009
    body: dict[str, object] = getattr(response, "json")()  # noqa: B009
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    assert body["status"] == status
    return body


def test_errors_are_problem_json(client: TestClient, keys: Keys) -> None:
    headers = auth(keys.investigator)
    assert_problem(client.get("/api/v1/no-such-route", headers=headers), 404)
    assert_problem(client.get("/api/v1/persons/NOBODY", headers=headers), 404)
    assert_problem(client.get("/api/v1/persons/P-STRAW?depth=9", headers=headers), 422)
    # what the schema rules out, and what it cannot state (a cursor never issued), is a 422, never a 400
    assert_problem(client.get("/api/v1/paths?source=martian:x&target=person:P-POSS", headers=headers), 422)
    assert_problem(client.get("/api/v1/paths?source=person:P-STRAW&target=person:P-POSS&types=NOPE",
                              headers=headers), 422)
    assert_problem(client.get("/api/v1/straw-queue?cursor=bm9wZQ", headers=headers), 422)
    body = assert_problem(client.post("/api/v1/search", json={"kind": "name", "q": 7}, headers=headers), 422)
    assert "7" not in json.dumps(body.get("errors"))  # input is not echoed
    assert_problem(client.delete("/api/v1/health"), 405)
