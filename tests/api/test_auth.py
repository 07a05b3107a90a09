"""Authentication: three ways in, 401 problem+json otherwise, keys stored hashed, revocation at once."""

from __future__ import annotations

import base64
import json

from fastapi.testclient import TestClient

from api.security import KeyFile
from api.settings import Settings
from tests.api.conftest import Keys, auth

PERSON = "/api/v1/persons/P-STRAW"


def test_unauthenticated_is_401_problem_with_challenge(client: TestClient) -> None:
    for headers in ({}, {"X-API-Key": "tgk_0000000000000000.wrong"}, {"X-API-Key": "no-dot"},
                    {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic !!!"}):
        response = client.get(PERSON, headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["content-type"] == "application/problem+json"
        assert "Bearer" in response.headers["www-authenticate"]
        assert response.json()["status"] == 401


def test_api_key_basic_and_bearer_all_work(client: TestClient, keys: Keys) -> None:
    assert client.get(PERSON, headers=auth(keys.investigator)).status_code == 200
    key_id, secret = keys.investigator.split(".", 1)
    basic = base64.b64encode(f"{key_id}:{secret}".encode()).decode()
    assert client.get(PERSON, headers={"Authorization": f"Basic {basic}"}).status_code == 200
    token = client.post("/api/v1/oauth/token", data={"grant_type": "client_credentials", "client_id": key_id,
                                                     "client_secret": secret})
    assert token.status_code == 200
    assert token.json()["token_type"] == "bearer"
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert client.get(PERSON, headers=bearer).status_code == 200
    wrong = client.post("/api/v1/oauth/token", data={"grant_type": "client_credentials", "client_id": key_id,
                                                     "client_secret": secret + "x"})
    assert wrong.status_code == 401


def test_key_file_holds_no_secret_and_revocation_is_immediate(client: TestClient,
                                                              api_env: tuple[Settings, Keys]) -> None:
    settings, _ = api_env
    keys = KeyFile.for_settings(settings)
    record, secret = keys.create("analyst", "to revoke")
    api_key = f"{record.key_id}.{secret}"
    text = keys.path.read_text()
    assert secret not in text
    assert record.key_id in text
    assert all(entry["secret_sha256"] != secret for entry in json.loads(text)["keys"])
    token = client.post("/api/v1/oauth/token", data={"grant_type": "client_credentials",
                                                     "client_id": record.key_id, "client_secret": secret}).json()
    assert client.get(PERSON, headers=auth(api_key)).status_code == 200
    keys.revoke(record.key_id)
    assert client.get(PERSON, headers=auth(api_key)).status_code == 401
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    assert client.get(PERSON, headers=bearer).status_code == 401


def test_openapi_and_health_need_no_auth_and_declare_schemes(client: TestClient) -> None:
    assert client.get("/api/v1/health").status_code == 200
    document = client.get("/openapi.json")
    assert document.status_code == 200
    schemes = document.json()["components"]["securitySchemes"]
    assert schemes["ApiKey"]["type"] == "apiKey"
    assert schemes["OAuth2"]["flows"]["clientCredentials"]["tokenUrl"] == "/api/v1/oauth/token"
    assert schemes["Basic"]["scheme"] == "basic"
    assert client.get("/docs").status_code == 200
