"""Rendering from plain data (no store): what a reader of the HTML sees, and the batch-file rules."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exports.reports.batch import Job, expand, parse_batch
from exports.reports.gather import known_states, parse_region
from exports.reports.models import (
    CaseReport,
    Corridor,
    CorridorReport,
    Hub,
    Member,
    Provenance,
    Purchase,
    RecoveryEvent,
    parse_indicators,
)
from exports.reports.render import render_case_html, render_corridor_html
from exports.reports.svg import TTC_BINS, ttc_histogram
from graph.errors import InvalidInput

RUN = Provenance(run_id="analysis-test-run", run_finished=datetime(2024, 5, 1, 12, tzinfo=UTC), code_version="t",
                 last_load=datetime(2024, 4, 30, 8, tzinfo=UTC), last_recovery=date(2023, 12, 31),
                 generated_at=datetime(2024, 5, 2, tzinfo=UTC))


def corridor(src: str, dst: str, year: int, firearms: int, score: float, name: str | None = None) -> Corridor:
    return Corridor(source=f"state:US-{src}", destination=f"state:US-{dst}", source_name=name or src,
                    destination_name=dst, source_state=src, destination_state=dst, year=year, firearms=firearms,
                    expected=firearms / 2, score=score, median_ttc_days=120.0)


def corridor_report(**changes: object) -> CorridorReport:
    values: dict[str, object] = dict(
        region=("NY",), year=2021, level="state",
        corridors=[corridor("GA", "NY", 2021, 40, 1.2), corridor("VA", "NY", 2021, 20, 0.4),
                   corridor("NY", "PR", 2021, 3, 0.1)],
        years=[2019, 2020, 2021], series={("state:US-GA", "state:US-NY"): [(2019, 10), (2020, 25), (2021, 40)]},
        ttc_days=[30, 200, 200, 800, 5000], hubs=[Hub("city:US-NY:NEW YORK", "New York", "NY", -73.94, 40.66, 0.05)],
        provenance=RUN)
    values.update(changes)
    return CorridorReport(**values)  # type: ignore[arg-type]


def test_corridor_report_cites_run_freshness_and_marking_and_fetches_nothing() -> None:
    page = render_corridor_html(corridor_report())
    assert "analysis-test-run" in page and "2023-12-31" in page and "2024-04-30" in page
    assert page.count("TLP:AMBER") >= 3  # title, header, footer (and the PDF page margins)
    urls = set(re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]+)""", page))
    assert urls == set(), urls
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", page)
    assert "<script" not in page.lower()


def test_map_draws_one_arrow_per_mappable_pair_and_says_what_it_left_off() -> None:
    page = render_corridor_html(corridor_report())
    assert page.count('class="corridor"') == 2  # NY -> Puerto Rico has no place on the Albers USA map
    assert "1 corridor(s)" in page
    assert page.count('class="state"') == 51 and page.count('class="hub"') == 1


def test_stronger_corridors_get_wider_arrows() -> None:
    page = render_corridor_html(corridor_report())
    widths = {m.group(1): float(m.group(2)) for m in re.finditer(
        r'<g class="corridor"[^>]*><title>(\w+) →.*?stroke-width="([\d.]+)"', page)}
    assert widths["GA"] > widths["VA"]


def test_names_from_the_store_are_escaped() -> None:
    page = render_corridor_html(corridor_report(corridors=[corridor("GA", "NY", 2021, 4, 1.0,
                                                                    name="<script>alert(1)</script>")]))
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page


def test_empty_selection_still_renders_with_a_plain_sentence() -> None:
    page = render_corridor_html(corridor_report(corridors=[], series={}, ttc_days=[]))
    assert "No corridors into NY in 2021" in page and "No corridors out of NY in 2021" in page


def test_ttc_histogram_puts_each_recovery_in_one_band() -> None:
    days = [0, 89, 90, 364, 365, 1094, 1095, 3649, 3650, 9000]
    drawing = ttc_histogram(days)
    titles = re.findall(r'<rect class="bar"[^>]*><title>([^<]+): (\d+)</title>', drawing)
    assert [html.unescape(name) for name, _ in titles] == [name for *_, name in TTC_BINS]
    assert sum(int(n) for _, n in titles) == len(days)
    heights = [float(h) for h in re.findall(r'<rect class="bar"[^>]*height="([\d.]+)"', drawing)]
    assert heights[0] == heights[1] == heights[-1] == 2 * heights[2] > 0  # 2, 2, 1, 1, 1, 1, 2 recoveries


def test_case_report_is_red_and_lists_members_with_indicators() -> None:
    members = [Member("P1", "ANNA SMITH", date(1990, 1, 2), "Atlanta, GA", 12.5, 3,
                      parse_indicators('[{"indicator": "short_ttc_1y", "points": 2.0, "value": 1}]')),
               Member("P2", "BOB JONES", None, "Macon, GA", None, None)]
    purchases = [Purchase("P1", "F1", date(2020, 1, 10), "1-58-1", "Gun Shop", "Atlanta, GA", "GA", -84.39, 33.75,
                          "GLOCK 19 PISTOL", True)]
    recoveries = [RecoveryEvent("T1", "F1", "P1", date(2020, 4, 1), "New York, NY", "NY", -73.94, 40.66, 82,
                                "HOMICIDE", "P2")]
    report = CaseReport("NET-1", 2, 9.5, "leiden-modularity", members, purchases, recoveries, RUN)
    page = render_case_html(report)
    assert "ANNA SMITH" in page and "BOB JONES" in page and "short_ttc_1y" in page
    assert page.count("TLP:RED") >= 3 and "analysis-test-run" in page
    assert 'class="purchase"' in page and 'class="recovery"' in page
    assert page.count('class="corridor"') == 1  # Atlanta dealer -> New York recovery


def test_bad_indicator_json_is_no_indicators() -> None:
    assert parse_indicators("not json") == [] and parse_indicators(None) == []


@given(st.lists(st.sampled_from(sorted(known_states())), min_size=1, max_size=6),
       st.lists(st.sampled_from(["", " ", "  "]), min_size=1, max_size=3), st.booleans())
def test_region_codes_are_normalised(codes: list[str], pads: list[str], lower: bool) -> None:
    text = ",".join(f"{pads[i % len(pads)]}{c.lower() if lower else c}{pads[-1]}" for i, c in enumerate(codes))
    assert parse_region(text) == tuple(sorted(set(codes)))


@pytest.mark.parametrize("bad", ["XX", "NY,ZZ", "New York"])
def test_unknown_region_is_refused(bad: str) -> None:
    with pytest.raises(InvalidInput, match="state code"):
        parse_region(bad)


def test_repeated_regions_and_years_make_their_cross_product() -> None:
    jobs = expand(["NY,NJ", "IL"], [2020, 2021, 2020], "state")
    assert jobs == [Job(("NJ", "NY"), 2020, "state"), Job(("NJ", "NY"), 2021, "state"),
                    Job(("IL",), 2020, "state"), Job(("IL",), 2021, "state")]
    assert expand([], [], "city") == [Job((), None, "city")]


def test_batch_files_in_json_and_yaml_mean_the_same() -> None:
    as_json = parse_batch('{"level": "city", "reports": [{"region": ["NY", "NJ"], "year": 2021}, {"year": null}]}',
                          yaml=False)
    as_yaml = parse_batch("level: city\nreports:\n  - region: NY,NJ\n    year: 2021\n  - {}\n", yaml=True)
    assert as_json == as_yaml == [Job(("NJ", "NY"), 2021, "city"), Job((), None, "city")]


@pytest.mark.parametrize("text", ['[{"region": "NY", "yaer": 2021}]', "[]", '{"reports": 3}', "[1]",
                                  '[{"year": "last"}]', '[{"level": "county"}]', "{not json"])
def test_bad_batch_files_are_refused_in_one_line(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_batch(text, yaml=False)
    assert "\n" not in str(caught.value)
