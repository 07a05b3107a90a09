"""The CLI on a small store loaded from real ATF records: radius query, single and bulk profiles, data freshness."""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
from pathlib import Path

from profile_fixtures import DATA, MD_DEALER, NC_DEALER, OH_DEALER, cli, load_fixtures
from typer.testing import CliRunner

from api.cli import app
from loaders.domain.reference import path as refdata
from tests.cli_run import tracegraph

EARTH_KM = 6371.0088


def zip_centroid(zip5: str) -> tuple[float, float]:
    """Read the ZCTA gazetteer directly (not through the geocoder under test)."""
    with gzip.open(refdata("gaz_zcta_2010.tsv.gz"), "rt", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["GEOID"] == zip5:
                return float(row["INTPTLAT"]), float(row[next(k for k in row if k.strip() == "INTPTLONG")])
    raise AssertionError(zip5)


def cosine_law_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Spherical law of cosines: a second formula, independent of the haversine under test."""
    (la1, lo1), (la2, lo2) = [(math.radians(x), math.radians(y)) for x, y in (a, b)]
    c = math.sin(la1) * math.sin(la2) + math.cos(la1) * math.cos(la2) * math.cos(lo2 - lo1)
    return EARTH_KM * math.acos(max(-1.0, min(1.0, c)))


def hotspot(city: str) -> tuple[float, float]:
    with (DATA / "hotspots.csv").open(encoding="utf-8") as handle:
        row = next(r for r in csv.DictReader(handle) if r["city"] == city)
    return float(row["lat"]), float(row["lon"])


def test_near_hotspots_lists_dealers_within_the_radius_with_checked_distances(loaded_db: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(cli(loaded_db, "dealers", "--near-hotspots", "100", "--format", "csv"))))
    assert list(rows[0]) == ["license_number", "business_name", "city", "state", "nearest_hotspot", "distance_km",
                             "anomaly_score"]
    found = {r["license_number"]: r for r in rows}
    # Amelia OH (~400 km from the nearest loaded hotspot) and Monticello IL (~200 km from Chicago) are out
    assert set(found) == {MD_DEALER, "8-52-015-02-6A-01913", "8-52-005-07-6M-03473", NC_DEALER}
    assert found[MD_DEALER]["nearest_hotspot"] == "Baltimore, MD"
    assert found[NC_DEALER]["nearest_hotspot"] == "Charlotte, NC"
    expected = cosine_law_km(zip_centroid("21208"), hotspot("Baltimore"))
    assert abs(float(found[MD_DEALER]["distance_km"]) - expected) < 0.01
    expected_nc = cosine_law_km(zip_centroid("27006"), hotspot("Charlotte"))
    assert abs(float(found[NC_DEALER]["distance_km"]) - expected_nc) < 0.01
    distances = [float(r["distance_km"]) for r in rows]
    assert distances == sorted(distances) and max(distances) <= 100
    narrow = json.loads(cli(loaded_db, "dealers", "--near-hotspots", "50", "--format", "json"))
    assert {r["state"] for r in narrow} == {"MD"} and len(narrow) == 2


def test_profile_json_keeps_verified_and_estimated_apart_with_policy_context(loaded_db: Path) -> None:
    profile = json.loads(cli(loaded_db, "dealer", "profile", NC_DEALER, "--format", "json"))
    assert set(profile) == {"verified", "estimated"}
    verified, estimated = profile["verified"], profile["estimated"]
    assert verified["license_number"] == NC_DEALER and verified["license_type"] == "01"
    assert verified["license_type_name"].startswith("Dealer in Firearms")
    assert verified["data_as_of"] == "2025-01-01" and verified["list_status"] == "LISTED"
    by_date = {i["inspection_date"]: i for i in verified["inspections"]}
    cited_2022 = next(v for v in by_date["2022-03-15"]["violations"] if v["cfr_code"] == "478.99(c)")
    cited_2019 = next(v for v in by_date["2019-05-01"]["violations"] if v["cfr_code"] == "478.99(c)")
    assert "cited under the 2021 zero-tolerance policy" in cited_2022["policy_context"]
    assert cited_2022["cfr_citation"] == "27 CFR 478.99(c)"
    assert "cited under" not in cited_2019["policy_context"]
    assert "before" in cited_2019["policy_context"]
    assert {"sales_index", "sales_index_confidence", "sales_index_method", "weapon_categories",
            "nearest_hotspot", "nearest_hotspot_km"} <= set(estimated)
    assert not {"sales_index", "nearest_hotspot", "weapon_categories"} & set(verified)
    assert 0.0 <= estimated["sales_index_confidence"] <= 0.5 and estimated["sales_index_method"]
    assert "assault_weapon" in estimated["weapon_categories"]  # North Carolina: no ban


def test_assault_weapon_ban_state_and_short_reference(loaded_db: Path) -> None:
    md = json.loads(cli(loaded_db, "dealer", "profile", "8-52-07182", "--format", "json"))
    assert md["verified"]["license_number"] == MD_DEALER
    assert "assault_weapon" not in md["estimated"]["weapon_categories"]
    assert any("MD" in note for note in md["estimated"]["weapon_category_notes"])
    oh = json.loads(cli(loaded_db, "dealer", "profile", OH_DEALER, "--format", "json"))
    assert "assault_weapon" in oh["estimated"]["weapon_categories"]


def test_bulk_csv_profiles_label_every_column(loaded_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "profiles.csv"
    cli(loaded_db, "dealer", "profiles", "--format", "csv", "--out", str(out))
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 6
    assert all(c.startswith(("verified_", "estimated_")) for c in rows[0])
    nc = next(r for r in rows if r["verified_license_number"] == NC_DEALER)
    assert nc["verified_zero_tolerance_citations_under_policy"] == "1" and nc["verified_inspection_count"] == "3"
    assert int(nc["verified_zero_tolerance_category_citations"]) >= 1
    one = list(csv.DictReader(io.StringIO(cli(loaded_db, "dealer", "profile", NC_DEALER, "--format", "csv"))))
    assert one[0]["verified_license_number"] == NC_DEALER


def test_data_as_of_follows_the_last_ffl_load(tmp_path: Path) -> None:
    db = tmp_path / "g.lbug"
    load_fixtures(db, as_of="2025-01-01")
    assert json.loads(cli(db, "dealer", "profile", OH_DEALER))["verified"]["data_as_of"] == "2025-01-01"
    cli(db, "load", "ffl", str(DATA / "ffl-list-excerpt.txt"), "--as-of", "2025-03-01")
    later = json.loads(cli(db, "dealer", "profile", OH_DEALER))["verified"]
    assert later["data_as_of"] == "2025-03-01" and later["last_verified_date"] == "2025-03-01"
    assert later["on_latest_list"] is True


def test_bad_input_exits_2_with_one_line(loaded_db: Path) -> None:
    for args in (["dealers", "--near-hotspots", "-5"], ["dealer", "profile", "9-99-99999"],
                 ["dealer", "profiles", "--format", "xml"]):
        done = tracegraph("--db", loaded_db, *args)  # the entry point's exit code and error line, in this process
        assert done.returncode == 2, (args, done.stderr)
        assert len([line for line in done.stderr.splitlines() if line.strip()]) == 1


def test_one_dealers_group_and_the_former_spellings_give_the_same_output(loaded_db: Path) -> None:
    """`dealers list|profile|profiles` is the group; `dealers --near-hotspots` and `dealer profile` (the spellings
    before the group) still work, hidden, and print the same."""
    pairs = [(["dealers", "list", "--near-hotspots", "100", "--format", "json"],
              ["dealers", "--near-hotspots", "100", "--format", "json"]),
             (["dealers", "profile", NC_DEALER, "--format", "csv"],
              ["dealer", "profile", NC_DEALER, "--format", "csv"]),
             (["dealers", "profiles", "--format", "json"], ["dealer", "profiles", "--format", "json"])]
    for new, old in pairs:
        assert cli(loaded_db, *new) == cli(loaded_db, *old), new
    assert len(json.loads(cli(loaded_db, "dealers", "list", "--near-hotspots", "100", "--format", "json"))) > 0
    top_help = CliRunner().invoke(app, ["--help"]).stdout
    assert "│ dealers " in top_help and "│ dealer " not in top_help  # the alias is hidden
