"""The workspace in headless Chromium (issue 19): first render, expanding a node, a 1,000-node chart.

Builds a simulated world (``--scale small|state``, seed 7: simulate -> load -> analyze, as ``tracegraph demo``) or
reuses one (``--db``), serves it with uvicorn on loopback (in this process, a thread) and drives Debian's
``chromium`` with playwright-python (another process):

* first render: ``/`` loaded until the sign-in form shows (cold: a fresh browser context, nothing cached), and a
  person's page (the top of the straw queue) until its link chart is drawn;
* expanding a node: ``--expansions`` unexpanded nodes of that chart, one after the other, each timed in the page
  from the call to the frame after the new nodes were added (request + merge + draw); p50 / p95 / max;
* a 1,000-node chart: the largest neighbourhood the API returns (depth 3, limit 1,000) loaded and laid out
  (fCoSE), then 60 pan/zoom steps timed frame by frame, and one expansion on the big chart.

    .venv/bin/python bench/bench_workspace.py [--scale small|state] [--db PATH] [--expansions 40]

Target (issue 19): expanding a node p95 < 200 ms. Needs the bundle (``cd web && npm ci && npm run build``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.security import KeyFile
from api.settings import Settings
from api.web import BUNDLE
from tests.api.server import serving

CHROMIUM = "/usr/bin/chromium"
DEMO_LOADS = (("ffl", "ffl_list_prev.txt"), ("ffl", "ffl_list.txt"), ("traces", "traces.csv"),
              ("multiple-sales", "multiple_sales.csv"), ("nibin", "nibin_leads.csv"),
              ("inspections", "inspections.csv"), ("violations", "violations.csv"), ("hotspots", "hotspots.csv"),
              ("stolen", "stolen.csv"))

EXPAND = """async (id) => {
    const chart = window.tgChart;
    await chart.expand(chart.cy.getElementById(id));
    return chart.lastExpand;
}"""

FRAMES = """async () => {
    const cy = window.tgChart.cy;
    const times = [];
    let last = performance.now();
    for (let i = 0; i < 60; i += 1) {
        cy.panBy({ x: i % 2 ? 25 : -20, y: 10 });
        cy.zoom({ level: cy.zoom() * (i % 2 ? 1.05 : 0.96), renderedPosition: { x: 400, y: 300 } });
        await new Promise((resolve) => requestAnimationFrame(resolve));
        const now = performance.now();
        times.push(now - last);
        last = now;
    }
    return times;
}"""

LOAD = """(graph) => {
    const started = performance.now();
    window.tgChart.load(graph);
    const laid = performance.now();
    return new Promise((resolve) => requestAnimationFrame(
        () => resolve([laid - started, performance.now() - started])));
}"""


def build(scale: str, root: Path) -> Path:
    from algorithms.analyze import analyze, write_back
    from graph.embedded_store import EmbeddedStore
    from loaders.base import LoadOptions, run_load
    from loaders.kinds import loader_for
    from loaders.synthetic import simulate

    started = time.perf_counter()
    simulate(scale, 7, root / "inputs")
    db = root / "world.lbug"
    with EmbeddedStore(db) as store:
        store.init_schema()
        for kind, name in DEMO_LOADS:
            run_load(loader_for(kind), store, root / "inputs" / name, LoadOptions(rejects_dir=root / "rejects"))
        write_back(store, analyze(store, seed=7), started_at=datetime.now(UTC))
    print(f"world ({scale}) built in {time.perf_counter() - started:.0f} s")
    return db


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def wait(page: Any, expression: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out: {expression}")
        time.sleep(0.005)


def run(url: str, key: str, expansions: int) -> None:
    from playwright.sync_api import sync_playwright

    headers = {"X-API-Key": key}
    person = httpx.get(f"{url}/api/v1/straw-queue?limit=1", headers=headers, timeout=60).json()["items"][0]
    dealer = httpx.get(f"{url}/api/v1/dealer-anomalies?limit=1", headers=headers, timeout=60).json()["items"][0]
    started = time.perf_counter()  # the server's first link-chart answer builds its indexes (once per process)
    httpx.get(f"{url}/api/v1/graph/neighbourhood?label=Person&key={quote(person['person_key'])}", headers=headers,
              timeout=300).raise_for_status()
    print(f"first link-chart request to a fresh server (index build): {time.perf_counter() - started:.1f} s")
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        started = time.perf_counter()
        page.goto(url + "/")
        page.wait_for_selector("input[name=api_key]")
        print(f"first render of / (cold, to the sign-in form): {1000 * (time.perf_counter() - started):.0f} ms; "
              f"bundle {BUNDLE.stat().st_size / 1024:.0f} KiB")
        page.fill("input[name=api_key]", key)
        page.press("input[name=api_key]", "Enter")
        page.wait_for_selector("form.search")
        started = time.perf_counter()
        page.goto(f"{url}/#/person/{quote(person['person_key'])}")
        wait(page, "window.tgChart && window.tgChart.cy.nodes().length > 1 && "
                   "document.querySelector('.chart-status').textContent.includes('nodes')")
        slowest = page.evaluate("performance.getEntriesByType('resource').filter((r) => r.name.includes('/api/'))"
                                ".map((r) => [r.duration, r.name.split('/api/v1')[1].split('?')[0]])"
                                ".sort((a, b) => b[0] - a[0])[0]")
        print(f"person page to a drawn link chart: {1000 * (time.perf_counter() - started):.0f} ms "
              f"({page.evaluate('window.tgChart.cy.nodes().length')} nodes; slowest API call {slowest[0]:.0f} ms, "
              f"{slowest[1]})")

        timings: list[float] = []
        fetches: list[float] = []
        while len(timings) < expansions:
            todo = page.evaluate("window.tgChart.cy.nodes('.unexpanded').map((n) => n.id())")
            if not todo:
                break
            for node in todo[: expansions - len(timings)]:
                result = page.evaluate(EXPAND, node)
                timings.append(result["ms"])
                fetches.append(result["fetchMs"])
        nodes = page.evaluate("window.tgChart.cy.nodes().length")
        print(f"expanding a node ({len(timings)} expansions, chart grew to {nodes} nodes): "
              f"p50 {statistics.median(timings):.0f} ms, p95 {percentile(timings, 0.95):.0f} ms, "
              f"max {max(timings):.0f} ms (of which the API answer: p50 {statistics.median(fetches):.0f} ms, "
              f"p95 {percentile(fetches, 0.95):.0f} ms)")

        # the 1,000-node chart: the first place (then dealer) whose depth-3 neighbourhood reaches the limit
        places = page.evaluate("window.tgChart.cy.nodes('[label = \"Place\"]').map((n) => n.data('key'))")
        graph: dict[str, Any] = {"nodes": []}
        for label, key in [*(("Place", p) for p in places), ("Dealer", dealer["dealer_key"])]:
            found = httpx.get(f"{url}/api/v1/graph/neighbourhood?label={label}&key={quote(key)}&depth=3"
                              "&limit=1000", headers=headers, timeout=120).json()
            if len(found["nodes"]) > len(graph["nodes"]):
                graph = found
            if len(graph["nodes"]) >= 1000:
                break
        page.goto(f"{url}/#/dealer/{quote(dealer['dealer_key'])}")
        wait(page, "window.tgChart && window.tgChart.cy.nodes().length > 1")
        layout_ms, drawn_ms = page.evaluate(LOAD, graph)
        frames = page.evaluate(FRAMES)
        print(f"{len(graph['nodes'])}-node chart ({len(graph['edges'])} edges): load + fCoSE layout "
              f"{layout_ms:.0f} ms, first frame at {drawn_ms:.0f} ms; "
              f"pan/zoom frames p50 {statistics.median(frames):.0f} ms, "
              f"p95 {percentile(frames, 0.95):.0f} ms, max {max(frames):.0f} ms")
        big: list[float] = []
        for node in page.evaluate("window.tgChart.cy.nodes('.unexpanded').map((n) => n.id())")[:10]:
            big.append(page.evaluate(EXPAND, node)["ms"])
        if big:
            print(f"expanding a node on the big chart ({len(big)}): p50 {statistics.median(big):.0f} ms, "
                  f"max {max(big):.0f} ms")
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="small", choices=["small", "state"])
    parser.add_argument("--db", type=Path, help="an analysed store to reuse (keys are added beside it)")
    parser.add_argument("--expansions", type=int, default=40)
    args = parser.parse_args()
    if not BUNDLE.is_file():
        sys.exit("the workspace is not built: cd web && npm ci && npm run build")
    with tempfile.TemporaryDirectory(prefix="bench-workspace-") as tmp:
        db = args.db or build(args.scale, Path(tmp))
        record, secret = KeyFile.for_settings(Settings(db=db)).create("investigator", "bench_workspace")
        started = time.perf_counter()
        # without the TAXII warm-up thread a server runs at start (it would compete with the first measurements)
        with serving(Settings(db=db, api_taxii_warm=False)) as url:
            print(f"server up in {time.perf_counter() - started:.1f} s (snapshot of the store)")
            run(url, f"{record.key_id}.{secret}", args.expansions)


if __name__ == "__main__":
    main()
