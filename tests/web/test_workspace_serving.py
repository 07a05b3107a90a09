"""How the workspace is served (no browser): the strict Content-Security-Policy on the page and its assets, and
one line naming the build command when the bundle is missing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import api.web
from api.app import create_app
from api.settings import Settings
from graph.embedded_store import EmbeddedStore
from tests.api.conftest import populate


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("web-serve") / "graph.lbug"
    with EmbeddedStore(db) as store:
        store.init_schema()
        populate(store)
    with TestClient(create_app(Settings(db=db)), raise_server_exceptions=False) as test_client:
        yield test_client


def test_page_and_assets_carry_a_strict_csp(client: TestClient) -> None:
    if not api.web.built():
        pytest.skip("the workspace is not built: cd web && npm ci && npm run build")
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and page.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in page.text and "style=" not in page.text  # nothing inline for the CSP to refuse
    bundle = client.get("/static/app.js")
    assert bundle.status_code == 200 and "javascript" in bundle.headers["content-type"]
    assert bundle.headers["content-security-policy"] == csp
    assert "http://" not in page.text and "https://" not in page.text
    assert client.get("/api/v1/health").headers.get("content-security-policy") is None  # the API is untouched


def test_without_the_bundle_the_page_says_how_to_build_it(client: TestClient, monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    monkeypatch.setattr(api.web, "BUNDLE", tmp_path / "absent.js")
    page = client.get("/")
    assert page.status_code == 503
    assert page.text.count("\n") == 1 and "cd web && npm ci && npm run build" in page.text
