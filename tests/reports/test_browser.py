"""The reports in a real headless Chromium (Debian's ``chromium``, driven by playwright-python): the map's
states and arrows and the charts' marks are drawn with a size, and opening a report fetches nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from exports.reports.gather import case_report, corridor_report, flow_years
from exports.reports.render import render_case_html, render_corridor_html
from graph.embedded_store import EmbeddedStore
from tests.browser_support import launch_chromium
from tests.reports.conftest import ReportWorld

MEASURE = """(selector) => Array.from(document.querySelectorAll(selector)).map((el) => {
    const box = el.getBoundingClientRect();
    return [box.width, box.height];
})"""


@pytest.fixture(scope="module")
def pages(report_world: ReportWorld, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("report-pages")
    with EmbeddedStore(report_world.db) as store:
        year = flow_years(store, "state")[-2]
        state = corridor_report(store, region=("CT", "NJ", "NY"), year=year)
        city = corridor_report(store, region=("IL",), level="city")
        network = max(store.query("stix_networks").rows(), key=lambda r: (r["score"] or 0, r["network_id"]))
        case = case_report(store, network["network_id"])
    out = {"state": render_corridor_html(state), "city": render_corridor_html(city), "case": render_case_html(case)}
    paths = {}
    for name, html in out.items():
        paths[name] = folder / f"{name}.html"
        paths[name].write_text(html, encoding="utf-8")
    return paths


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


def open_report(browser: Any, path: Path) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri(), wait_until="networkidle")
    return page, requests


def drawn(page: Any, selector: str) -> list[list[float]]:
    boxes: list[list[float]] = page.evaluate(MEASURE, selector)
    return boxes


@pytest.mark.parametrize("name", ["state", "city"])
def test_corridor_report_draws_map_and_charts_offline(browser: Any, pages: dict[str, Path], name: str,
                                                      tmp_path_factory: pytest.TempPathFactory) -> None:
    page, requests = open_report(browser, pages[name])
    try:
        states = drawn(page, "#map path.state")
        assert len(states) == 51 and all(w > 0 and h > 0 for w, h in states)
        arrows = drawn(page, "#map g.corridor")
        assert arrows and all(w > 0 and h > 0 for w, h in arrows)
        hubs = drawn(page, "#map circle.hub")
        assert hubs and all(w > 0 and h > 0 for w, h in hubs)
        bars = drawn(page, "#ttc rect.bar")
        assert len(bars) == 7 and any(h > 1 for _, h in bars)
        lines = drawn(page, "#trend polyline.trend-line")
        assert lines and all(w > 0 for w, _ in lines)
        rows = page.locator("#inbound tbody tr, #outbound tbody tr, #corridors tbody tr").count()
        assert rows >= len(arrows)
        shot = tmp_path_factory.mktemp("screens") / f"{name}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 50_000
        print(f"screenshot: {shot}")
    finally:
        page.close()
    assert requests == [pages[name].as_uri()], "the report fetched something besides itself"


def test_case_report_draws_timeline_and_map_offline(browser: Any, pages: dict[str, Path],
                                                    tmp_path_factory: pytest.TempPathFactory) -> None:
    page, requests = open_report(browser, pages["case"])
    try:
        assert page.locator("tr.member").count() >= 2
        purchases = drawn(page, "#timeline circle.purchase")
        recoveries = drawn(page, "#timeline polygon.recovery")
        assert purchases and recoveries and all(w > 0 and h > 0 for w, h in purchases + recoveries)
        assert len(drawn(page, "#map path.state")) == 51
        links = drawn(page, "#map g.corridor")
        assert links and all(w > 0 and h > 0 for w, h in links)
        header = page.locator("header.marking .tlp").inner_text()
        footer = page.locator("footer.marking .tlp").inner_text()
        assert header == footer == "TLP:RED"
        shot = tmp_path_factory.mktemp("screens") / "case.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot: {shot}")
    finally:
        page.close()
    assert requests == [pages["case"].as_uri()]


def test_the_request_log_would_see_a_fetch(browser: Any, tmp_path: Path) -> None:
    """Guard for the offline checks above: a page that does fetch something is caught by the same log."""
    leaky = tmp_path / "leaky.html"
    leaky.write_text('<html><body><img src="http://127.0.0.1:9/x.png"></body></html>', encoding="utf-8")
    page, requests = open_report(browser, leaky)
    page.close()
    assert "http://127.0.0.1:9/x.png" in requests
