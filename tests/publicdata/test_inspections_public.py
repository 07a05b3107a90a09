"""The Trace / USA Today ATF inspection reports (real, 2015-2017) with UCR hotspots: dealers get their premises
and coordinates, near-hotspot search and profiles work, JSON is strict, dispositions and citations are counted as
the file gives them.

Files: tests/data/loaders/atf_inspections_2015_2017_excerpt.ndjson (41 lines of the real file) and the whole file
as shipped for ``demo --public`` (loaders/refdata/public, gzip of the same bytes).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.cli_run import tracegraph

DATA = Path(__file__).resolve().parents[1] / "data"
EXCERPT = DATA / "loaders" / "atf_inspections_2015_2017_excerpt.ndjson"


def tg(db: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return tracegraph("--db", db, *args, env={**os.environ, "COLUMNS": "250", **(env or {})})


def ok(db: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = tg(db, *args, env=env)
    assert done.returncode == 0, done.stderr
    return done


def strict(text: str) -> object:
    def refuse(constant: str) -> object:
        raise ValueError(f"not JSON: {constant}")
    return json.loads(text, parse_constant=refuse)


def load_with_hotspots(db: Path, inspections: Path, tmp: Path) -> None:
    ok(db, "init")
    loaded = strict(ok(db, "load", "inspections", str(inspections), "--json").stdout.strip().splitlines()[-1])
    assert isinstance(loaded, dict) and loaded["read"] == loaded["loaded"] + loaded["rejected"]
    ok(db, "build-hotspots", str(tmp / "hotspots.csv"))
    ok(db, "load", "hotspots", str(tmp / "hotspots.csv"))


@pytest.fixture(scope="module")
def excerpt_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("inspections")
    db = tmp / "graph.lbug"
    load_with_hotspots(db, EXCERPT, tmp)
    ok(db, "analyze")
    return db


def test_dealers_near_hotspots_on_inspection_reports(excerpt_db: Path) -> None:
    done = ok(excerpt_db, "dealers", "--near-hotspots", "161", "--format", "json")
    rows = strict(done.stdout)
    assert isinstance(rows, list) and rows
    houston = next(r for r in rows if r["license_number"] == "5-76-201-01-9A-02482")
    assert houston["nearest_hotspot"] == "HOUSTON, TX" and houston["distance_km"] < 30
    assert all(r["distance_km"] <= 161 for r in rows)
    assert "violent-crime rate above the national rate for the data year (FBI UCR: 372.6 in 2015" in done.stderr


def test_profile_is_strict_json_with_everything_the_file_has(excerpt_db: Path) -> None:
    profile = strict(ok(excerpt_db, "dealer", "profile", "5-72-073-07-6H-04339", "--format", "json").stdout)
    assert isinstance(profile, dict)
    verified, estimated = profile["verified"], profile["estimated"]
    assert verified["premise_city"] == "West Monroe" and verified["premise_state"] == "LA"
    assert verified["premise_street"] and verified["premise_zip"] and verified["premise_county"]
    assert verified["license_name"] and verified["license_type"] == "07"
    inspection = verified["inspections"][0]
    assert inspection["outcome"] == "License Revoked"
    assert inspection["outcome_given"] == "Revocation/denial of renewal"  # the original text beside the outcome
    assert estimated["geocode_precision"] == "address" and estimated["lat"] == pytest.approx(32.49654)
    assert estimated["nearest_hotspot"] and "national rate" in estimated["nearest_hotspot_method"]


def test_a_dealer_without_coordinates_gets_null_not_nan(excerpt_db: Path) -> None:
    text = ok(excerpt_db, "dealer", "profile", "1-56-071-07-8C-06948", "--format", "json").stdout
    profile = strict(text)
    assert isinstance(profile, dict) and "NaN" not in text
    assert profile["estimated"]["lat"] is None and profile["estimated"]["nearest_hotspot"] is None
    assert profile["estimated"]["nearest_hotspot_km"] is None


def test_hotspot_rule_is_configurable_and_stated(excerpt_db: Path) -> None:
    top = ok(excerpt_db, "dealers", "--near-hotspots", "161", env={"TRACEGRAPH_HOTSPOT_RULE": "top:3"})
    assert "the 3 cities with the highest violent-crime rates (3 of 58 cities with a rate)" in top.stderr
    default = ok(excerpt_db, "dealers", "--near-hotspots", "161")
    assert len(top.stdout.splitlines()) < len(default.stdout.splitlines())
    bad = tg(excerpt_db, "dealers", "--near-hotspots", "161", env={"TRACEGRAPH_HOTSPOT_RULE": "biggest"})
    assert bad.returncode == 2 and "hotspot rule 'biggest'" in bad.stderr


def test_virginia_beach_is_not_a_hotspot_by_default() -> None:
    from algorithms.dealer_profile import default_hotspots
    from algorithms.hotspots import parse_rule, select

    cities = default_hotspots()
    chosen = set(select(cities, parse_rule(None))["name"])
    assert "VIRGINIA BEACH" in set(cities["name"]) and "VIRGINIA BEACH" not in chosen
    assert {"BALTIMORE", "ST. LOUIS", "DETROIT"} & chosen


def test_whole_file_citations_and_dispositions(tmp_path: Path) -> None:
    from api.cli.demo_public import INSPECTIONS, public_inputs

    plain = tmp_path / INSPECTIONS
    plain.write_bytes(gzip.decompress((public_inputs() / (INSPECTIONS + ".gz")).read_bytes()))
    db = tmp_path / "graph.lbug"
    load_with_hotspots(db, plain, tmp_path)
    ok(db, "dealer", "profiles", "--format", "csv", "--out", str(tmp_path / "profiles.csv"))
    rows = list(csv.DictReader(io.StringIO((tmp_path / "profiles.csv").read_text(encoding="utf-8"))))
    assert len(rows) == 1907
    assert sum(int(r["verified_zero_tolerance_category_citations"]) for r in rows) == 702
    assert sum(int(r["verified_zero_tolerance_citations_under_policy"]) for r in rows) == 0  # 2015-2017: before it
    assert sum(1 for r in rows if r["estimated_lat"]) >= 1890
    histories = [i for r in rows for i in json.loads(r["verified_inspection_history"])]
    given = {(i["outcome"], i["outcome_given"]) for i in histories}
    assert ("Settlement", "Settlement") in given
    assert ("License Revoked", "Revocation/denial of renewal") in given
    near = strict(ok(db, "dealers", "--near-hotspots", "161", "--format", "json").stdout)
    assert isinstance(near, list) and len(near) > 500
