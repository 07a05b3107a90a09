"""The workspace's session cookie (issue 19): sign in with an API key, HttpOnly/SameSite=Strict cookie, CSRF on
unsafe methods, sign-out revoked server-side, idle expiry, audited."""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient

from api.app import audit_log_path, create_app
from api.settings import Settings
from tests.api.conftest import Keys, auth

SESSION = "/api/v1/session"
PERSON = "/api/v1/persons/P-STRAW"


def signed_in(client: TestClient, key: str) -> dict[str, object]:
    client.cookies.clear()
    answer = client.post(SESSION, json={"api_key": key})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_sign_in_sets_a_strict_http_only_cookie_and_says_who(client: TestClient, keys: Keys) -> None:
    client.cookies.clear()
    answer = client.post(SESSION, json={"api_key": keys.analyst})
    assert answer.status_code == 200
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("tg_session=")
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "samesite", "path"} <= flags
    assert "SameSite=Strict" in cookie and "Path=/" in cookie
    assert "secure" not in flags  # plain http here; https adds Secure (below)
    body = answer.json()
    assert body["role"] == "analyst" and body["tlp"] == "amber+strict" and body["name"] == "test analyst"
    assert len(body["csrf_token"]) == 64 and body["expires"].endswith("Z")
    assert keys.analyst.split(".")[1] not in cookie  # the secret never goes into the cookie
    me = client.get(SESSION)
    assert me.status_code == 200 and me.json()["csrf_token"] == body["csrf_token"]
    assert client.get(PERSON).status_code == 200  # any route takes the cookie


def test_secure_flag_over_https(api_env: tuple[Settings, Keys]) -> None:
    settings, keys = api_env
    with TestClient(create_app(settings), base_url="https://testserver") as secure:
        answer = secure.post(SESSION, json={"api_key": keys.analyst})
        assert answer.status_code == 200
        assert "Secure" in answer.headers["set-cookie"].split("; ")


def test_bad_key_or_no_session_is_401_problem(client: TestClient, keys: Keys) -> None:
    client.cookies.clear()
    for body in ({"api_key": "tgk_0000000000000000.wrong"}, {"api_key": keys.analyst + "x"},
                 {"api_key": "nodot"}):
        answer = client.post(SESSION, json=body)
        assert answer.status_code == 401 and answer.headers["content-type"] == "application/problem+json"
        assert "set-cookie" not in answer.headers
    assert client.post(SESSION, json={"api_key": 42}).status_code == 422
    assert client.post(SESSION, json={}).status_code == 422
    assert client.get(SESSION).status_code == 401
    assert client.get(SESSION, headers=auth(keys.analyst)).status_code == 401  # a header key is not a session
    client.cookies.set("tg_session", "forged.token.value")
    assert client.get(PERSON).status_code == 401
    client.cookies.clear()


def test_unsafe_methods_need_the_csrf_token(client: TestClient, keys: Keys) -> None:
    body = signed_in(client, keys.admin)
    # a cross-site form can send the cookie but not the header: refused with 403 problem+json
    refused = client.post("/api/v1/admin/snapshot")
    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
    assert "X-CSRF-Token" in refused.json()["detail"]
    assert client.post("/api/v1/admin/snapshot", headers={"X-CSRF-Token": "0" * 64}).status_code == 403
    assert client.delete(SESSION).status_code == 403
    assert client.get(SESSION).status_code == 200  # still signed in
    assert client.post("/api/v1/admin/snapshot", headers={"X-CSRF-Token": str(body["csrf_token"])}).status_code == 200
    # header credentials are unchanged: no CSRF token needed (a browser never adds them by itself)
    client.cookies.clear()
    assert client.post("/api/v1/admin/snapshot", headers=auth(keys.admin)).status_code == 200


def test_sign_out_revokes_the_session_server_side(client: TestClient, keys: Keys) -> None:
    body = signed_in(client, keys.investigator)
    stolen = client.cookies.get("tg_session")
    out = client.delete(SESSION, headers={"X-CSRF-Token": str(body["csrf_token"])})
    assert out.status_code == 204
    assert "Max-Age=0" in out.headers["set-cookie"]
    assert client.get(SESSION).status_code == 401
    client.cookies.set("tg_session", str(stolen))  # a copy of the cookie kept by someone else: refused too
    assert client.get(PERSON).status_code == 401
    client.cookies.clear()


def test_session_expires_when_idle(api_env: tuple[Settings, Keys]) -> None:
    settings, keys = api_env
    idle = settings.model_copy(update={"api_session_idle_s": 3})
    with TestClient(create_app(idle)) as short:
        assert short.post(SESSION, json={"api_key": keys.analyst}).status_code == 200
        assert short.get(SESSION).status_code == 200
        token = str(short.cookies.get("tg_session"))
        time.sleep(4.1)
        assert short.get(SESSION).status_code == 401  # the browser drops it (Max-Age) ...
        short.cookies.set("tg_session", token)
        late = short.get(SESSION)  # ... and the server refuses it anyway
        assert late.status_code == 401 and "expired" in late.json()["detail"]


def test_sign_in_and_out_are_audited_with_the_key(client: TestClient, keys: Keys,
                                                  api_env: tuple[Settings, Keys]) -> None:
    settings, _ = api_env
    body = signed_in(client, keys.analyst)
    client.delete(SESSION, headers={"X-CSRF-Token": str(body["csrf_token"])})
    client.cookies.clear()
    client.post(SESSION, json={"api_key": "tgk_0000000000000000.wrong"})
    client.get("/api/v1/health")  # the writer flushes in batches; wait for the entries
    key_id = keys.analyst.split(".")[0]
    deadline = time.monotonic() + 5
    while True:
        entries = [json.loads(line) for line in audit_log_path(settings).read_text().splitlines()]
        mine = [(e["actor"], e["action"], e["outcome"]) for e in entries if "/session" in e["action"]]
        if (key_id, "DELETE /api/v1/session", "ok") in mine or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert (key_id, "POST /api/v1/session", "ok") in mine
    assert (key_id, "DELETE /api/v1/session", "ok") in mine
    assert ("anonymous", "POST /api/v1/session", "denied") in mine
    assert keys.analyst.split(".")[1] not in audit_log_path(settings).read_text()


def test_a_used_session_is_renewed_but_never_beyond_its_maximum(client: TestClient, keys: Keys,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import api.sessions

    signed_in(client, keys.analyst)
    assert "set-cookie" not in client.get(SESSION).headers  # fresh: nothing to renew
    monkeypatch.setattr(api.sessions, "REFRESH_AFTER_S", 0)  # as if the cookie were over a minute old
    renewed = client.get(SESSION)
    assert renewed.status_code == 200
    assert renewed.headers["set-cookie"].startswith("tg_session=") and "HttpOnly" in renewed.headers["set-cookie"]
    out = client.delete(SESSION, headers={"X-CSRF-Token": str(renewed.json()["csrf_token"])})
    assert out.headers.get_list("set-cookie") == [out.headers["set-cookie"]]  # only the clearing cookie
    assert "Max-Age=0" in out.headers["set-cookie"]
    client.cookies.clear()


def test_a_session_ends_when_its_key_is_revoked(client: TestClient, api_env: tuple[Settings, Keys]) -> None:
    from api.security import KeyFile

    settings, _ = api_env
    keys = KeyFile.for_settings(settings)
    record, secret = keys.create("investigator", "revoked while signed in")
    signed_in(client, f"{record.key_id}.{secret}")
    assert client.get(PERSON).status_code == 200
    keys.revoke(record.key_id)
    assert client.get(PERSON).status_code == 401
    client.cookies.clear()
