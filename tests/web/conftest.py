"""The workspace in a real headless Chromium (Debian's ``chromium`` driven by playwright-python) against a real
uvicorn server: the small simulated world (as ``tracegraph demo``) and the real public files. One browser for the
whole session; each test opens its own context (its own cookies: a second analyst is a second context)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from api.settings import Settings
from api.web import BUNDLE
from tests.api.server import serving
from tests.browser_support import launch_chromium
from tests.conftest import require
from tests.keys import api_key
from tests.worlds import copy_store, demo, public

SHOTS = os.environ.get("TRACEGRAPH_WORKSPACE_SHOTS")  # a folder: the tests save a screenshot of each view there


@dataclass
class Server:
    url: str
    keys: dict[str, str]
    db: Path


@dataclass
class Tab:
    """A page in its own browser context, with every request it made and every CSP violation it reported."""

    page: Any
    base: str
    requests: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    def open(self, route: str) -> None:
        self.page.goto(f"{self.base}/#{route}")

    def shot(self, name: str, full_page: bool = True) -> None:
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(Path(SHOTS) / f"workspace-{name}.png"), full_page=full_page)


def _keys(db: Path) -> dict[str, str]:
    return {name: api_key(Settings(db=db), role, tlp, name=f"{name} (browser test)",
                          purpose="workspace browser tests")
            for name, role, tlp in (("investigator", "investigator", None), ("analyst", "analyst", None),
                                    ("investigator2", "investigator", None), ("partner_amber", "partner", "amber"),
                                    ("partner_green", "partner", None))}


def _serve(db: Path) -> Iterator[Server]:
    keys = _keys(db)
    with serving(Settings(db=db)) as url:
        yield Server(url, keys, db)


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _serve(copy_store(demo(tmp_path_factory).db, tmp_path_factory.mktemp("web-demo") / "graph.lbug"))


@pytest.fixture(scope="session")
def public_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _serve(copy_store(public(tmp_path_factory).db, tmp_path_factory.mktemp("web-public") / "graph.lbug"))


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    require(BUNDLE.is_file(), "the workspace is not built: cd web && npm ci && npm run build")
    yield from launch_chromium()


RECORD_CSP = """document.addEventListener('securitypolicyviolation',
    (e) => { (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI); });"""


def open_tab(browser: Any, server: Server) -> Tab:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(RECORD_CSP)
    page = context.new_page()
    page.set_default_timeout(60_000)  # a loaded CI machine: slow is not wrong
    tab = Tab(page, server.url)
    page.on("request", lambda request: tab.requests.append(request.url))
    return tab


def sign_in(tab: Tab, key: str) -> None:
    tab.page.goto(f"{tab.base}/")
    tab.page.fill("input[name=api_key]", key)
    tab.page.press("input[name=api_key]", "Enter")
    tab.page.wait_for_selector("form.search")


def violations(tab: Tab) -> list[str]:
    found: list[str] = tab.page.evaluate("window.__csp || []")
    return found


@pytest.fixture
def new_tab(browser: Any) -> Iterator[Callable[[Server], Tab]]:
    """Opens a tab in a fresh browser context (its own cookies); all are closed at the end of the test."""
    opened: list[Tab] = []

    def make(server: Server) -> Tab:
        opened.append(open_tab(browser, server))
        return opened[-1]

    yield make
    for tab in opened:
        tab.page.context.close()


def wait_until(page: Any, expression: str, timeout_s: float = 20.0) -> None:
    """Poll a JavaScript expression until truthy. (Playwright's wait_for_function evaluates its predicate with
    eval, which the workspace's CSP refuses, rightly; page.evaluate goes through the debugging protocol.)"""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout_s} s: {expression}")
        time.sleep(0.05)
