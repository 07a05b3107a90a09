"""The API's limits on a real server: bodies over 1 MiB refused with 413 before parsing, failed authentications
limited per client (429 + Retry-After) without touching valid keys, idle and slow connections closed, and a
malformed Authorization header never accepted because an X-API-Key beside it is valid."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from api.settings import Settings
from tests.api.conftest import Keys, auth
from tests.api.server import serving


@pytest.fixture(scope="module")
def server(api_env: tuple[Settings, Keys]) -> Iterator[str]:
    settings, _ = api_env
    limited = settings.model_copy(update={"api_header_timeout_s": 1.0, "api_auth_failures_per_minute": 20})
    with serving(limited) as base:
        yield base


def test_a_body_over_one_mebibyte_is_refused_before_parsing(server: str, keys: Keys) -> None:
    big = b'{"kind": "name", "q": "' + b"A" * (10 << 20) + b'"}'
    started = time.monotonic()
    response = httpx.post(f"{server}/api/v1/search", content=big, timeout=60,
                          headers={**auth(keys.investigator), "content-type": "application/json"})
    assert response.status_code == 413 and response.headers["content-type"] == "application/problem+json"
    assert time.monotonic() - started < 10

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds on the streamed body too
        yield b'{"kind": "name", "q": "'
        for _ in range(40):
            yield b"A" * (64 << 10)
        yield b'"}'

    streamed = httpx.post(f"{server}/api/v1/search", content=chunks(), timeout=60,
                          headers={**auth(keys.investigator), "content-type": "application/json"})
    assert streamed.status_code == 413
    small = httpx.post(f"{server}/api/v1/search", json={"kind": "name", "q": "DOE"}, timeout=60,
                       headers=auth(keys.investigator))
    assert small.status_code == 200


def test_failed_authentications_are_limited_per_client_but_valid_keys_are_not(server: str, keys: Keys) -> None:
    with httpx.Client(base_url=server, timeout=30) as http:
        statuses = [http.get("/api/v1/straw-queue", headers={"X-API-Key": f"tgk_{i:016x}.wrong"}).status_code
                    for i in range(30)]
        assert statuses[:20] == [401] * 20 and set(statuses[20:]) == {429}
        limited = http.get("/api/v1/straw-queue", headers={"X-API-Key": "tgk_0000000000000000.wrong"})
        assert limited.status_code == 429 and 1 <= int(limited.headers["retry-after"]) <= 60
        assert limited.headers["content-type"] == "application/problem+json"
        started = time.monotonic()
        valid = [http.get("/api/v1/straw-queue", headers=auth(keys.analyst)).status_code for _ in range(20)]
        assert valid == [200] * 20 and time.monotonic() - started < 20


def test_idle_and_slow_connections_are_closed(server: str) -> None:
    address = urlsplit(server)
    idle = socket.create_connection((address.hostname, address.port), timeout=10)
    slow = socket.create_connection((address.hostname, address.port), timeout=10)
    slow.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")  # headers never finished
    started = time.monotonic()
    assert idle.recv(1) == b"" and slow.recv(1) == b""  # closed by the server (1 s header timeout here)
    assert time.monotonic() - started < 5
    idle.close()
    slow.close()


def test_a_malformed_authorization_beside_a_valid_api_key_is_refused(api_env: tuple[Settings, Keys],
                                                                     keys: Keys) -> None:
    with serving(api_env[0]) as server:  # a server of its own: the failure counter above is full
        url = f"{server}/api/v1/firearms/match"
        params = {"caliber": "true", "serial": "ABC123"}
        alone = httpx.get(url, params=params, headers=auth(keys.investigator), timeout=30)
        assert alone.status_code in (200, 422)
        for authorization in ("true", "Bearer not-a-token", "Basic !!!", "Digest abc"):
            both = httpx.get(url, params=params, timeout=30,
                             headers={**auth(keys.investigator), "Authorization": authorization})
            assert both.status_code == 401, authorization
            assert "WWW-Authenticate" in both.headers
