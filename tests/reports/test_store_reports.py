"""Reports from a simulated, loaded and analysed world, through the command line as a user runs them."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from algorithms.evaluate import RecordOwners, truth_person_keys
from algorithms.tables import load_tables
from exports.reports.gather import corridor_report
from graph.embedded_store import EmbeddedStore
from tests.reports.conftest import ReportWorld


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, report_world: ReportWorld
        ) -> Callable[..., Result]:
    """``tracegraph --db WORLD report ARGS`` in this process (the console-script entry point, exit code included)."""
    from api.cli import main

    def invoke(*args: str) -> Result:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["tracegraph", "--db", str(report_world.db), "report", *args])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


def years(world: ReportWorld) -> list[int]:
    from exports.reports.gather import flow_years

    with EmbeddedStore(world.db) as store:
        return flow_years(store, "state")


def test_batch_writes_one_report_per_region_and_period(
        report_world: ReportWorld, tmp_path: Path, run: Callable[..., Result]) -> None:
    two = years(report_world)[-2:]
    result = run("corridors", "--region", "NY,NJ,CT", "--region", "IL", "--year", str(two[0]),
                 "--year", str(two[1]), "--out", str(tmp_path), "--no-pdf", "--json")
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(listing["reports"]) == 4 and len(listing["files"]) == 4
    assert sorted(p.name for p in tmp_path.glob("*.html")) == sorted(Path(f).name for f in listing["files"])
    seen = set()
    for record in listing["reports"]:
        page = Path(record["html"]).read_text(encoding="utf-8")
        title = re.search(r"<h1>(.*?)</h1>", page)
        assert title and ", ".join(record["region"]) in title.group(1) and str(record["year"]) in title.group(1)
        seen.add((tuple(record["region"]), record["year"]))
    assert seen == {(r, y) for r in (("CT", "NJ", "NY"), ("IL",)) for y in two}
    assert "4/4" in result.stderr  # the progress bar on stderr reached the end


def test_batch_file_and_pdf(
        report_world: ReportWorld, tmp_path: Path, run: Callable[..., Result]) -> None:
    from pypdf import PdfReader

    batch = tmp_path / "batch.yaml"
    batch.write_text(f"reports:\n  - region: IL\n    year: {years(report_world)[-2]}\n"
                     "  - region: [NY, NJ]\n    level: city\n", encoding="utf-8")
    result = run("corridors", "--batch", str(batch), "--out", str(tmp_path / "out"), "--json")
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout.strip().splitlines()[-1])
    assert [r["level"] for r in listing["reports"]] == ["state", "city"]
    for record in listing["reports"]:
        reader = PdfReader(record["pdf"])
        assert len(reader.pages) >= 2 and record["pdf_pages"] == len(reader.pages)
        text = " ".join(page.extract_text() for page in reader.pages)
        assert "Trafficking corridors" in text and "TLP:AMBER" in text
        assert Path(record["pdf"]).stat().st_size > 20_000
        # the map is printed as vector drawing: at least one filled path per state outline on the first pages
        fills = sum(len(re.findall(rb"(?m)^(?:f|f\*|B|b)\s*$", page.get_contents().get_data()))
                    for page in reader.pages[:2])
        assert fills >= 51


@pytest.mark.parametrize(("args", "needle"), [
    (["--region", "NY,XX"], "XX"),
    (["--year", "1899"], "1899"),
    (["--level", "county"], "county"),
])
def test_bad_region_year_or_level_is_exit_2_with_one_line(tmp_path: Path, run: Callable[..., Result],
                                                          args: list[str], needle: str) -> None:
    result = run("corridors", *args, "--out", str(tmp_path), "--no-pdf")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0]
    assert not list(tmp_path.glob("*.html"))


def test_region_report_holds_only_its_corridors_and_the_planted_ones_lead(report_world: ReportWorld) -> None:
    planted = {tuple(r["corridor"].split("->")) for r in report_world.truth["rings"]
               if r["destination_state"] == "IL" and r["source_state"] != "IL"}
    with EmbeddedStore(report_world.db) as store:
        report = corridor_report(store, region=("IL",))
    assert report.corridors and all("IL" in (c.source_state, c.destination_state) for c in report.corridors)
    scores = [c.score for c in report.corridors]
    assert scores == sorted(scores, reverse=True)
    top_pairs = list(dict.fromkeys((c.source_state, c.destination_state) for c in report.corridors))[:3]
    assert planted & set(top_pairs), (planted, top_pairs)
    assert report.provenance.run_id == report_world.run_id


def test_case_report_for_a_planted_ring_lists_its_members(
        report_world: ReportWorld, tmp_path: Path, run: Callable[..., Result]) -> None:
    truth = report_world.truth
    with EmbeddedStore(report_world.db) as store:
        owners = RecordOwners.of(load_tables(store).purchases)
        membership = {r["person_key"]: r["network_id"] for r in store.query("network_members").rows()}
    best: tuple[int, str, set[str]] | None = None
    for ring in truth["rings"]:
        people = [s for s in truth["straw_purchasers"] if s.get("ring_id") == ring["ring_id"]]
        keys = {k for ks in truth_person_keys(truth, owners, people).values() for k in ks}
        networks = [membership[k] for k in keys if k in membership]
        for network in set(networks):
            found = {k for k in keys if membership.get(k) == network}
            if best is None or len(found) > best[0]:
                best = (len(found), network, found)
    assert best is not None and best[0] >= 2, "no planted ring was found as a network"
    _, network, ring_members = best
    result = run("case", network, "--out", str(tmp_path), "--no-pdf", "--json", "--recipient", "County DA",
                 "--purpose", "prosecution of case 24-117")
    assert result.returncode == 0, result.stderr
    page = Path(json.loads(result.stdout.strip().splitlines()[-1])["files"][0]).read_text(encoding="utf-8")
    listed = set(re.findall(r'<tr class="member" data-person="([^"]+)"', page))
    assert ring_members <= listed
    assert listed == {k for k, n in membership.items() if n == network}
    assert page.count("TLP:RED") >= 3
    assert 'class="purchase"' in page and 'class="recovery"' in page and report_world.run_id in page


def test_unknown_network_is_exit_2(
        report_world: ReportWorld, tmp_path: Path, run: Callable[..., Result]) -> None:
    result = run("case", "NET-does-not-exist", "--out", str(tmp_path), "--recipient", "County DA", "--purpose", "x")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
