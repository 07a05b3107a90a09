"""The pure functions: policy context, weapon categories, distances, radius boundary, freshness, parsers."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from algorithms.dealer_estimates import EARTH_RADIUS_KM, sales_index, weapon_categories
from algorithms.dealer_profile import (
    ProfileTables,
    check_radius,
    data_as_of,
    expiry_end,
    haversine_km,
    near_hotspots,
    profiles,
    violation_context,
)
from graph.errors import InvalidInput

HOTSPOT = pd.DataFrame({"name": ["BALTIMORE"], "state": ["MD"], "lat": [39.300214], "lon": [-76.610516],
                        "violent_crime_rate_per_100k": [1535.9], "crime_data_year": [2015]})


def dealers(**columns: list[object]) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base: dict[str, list[object]] = {
        "dealer_key": [f"1-54-{i:05d}" for i in range(n)], "license_number": [f"1-54-003-01-5A-{i:05d}"
                                                                           for i in range(n)],
        "license_type": ["01"] * n, "license_name": ["X"] * n, "business_name": [None] * n,
        "premise_city": ["C"] * n, "premise_state": ["TX"] * n, "status": ["LISTED"] * n,
        "last_verified_date": [dt.date(2025, 1, 1)] * n, "lat": [None] * n, "lon": [None] * n,
        "geocode_precision": ["none"] * n, "anomaly_score": [None] * n, "license_expiry_month": [None] * n}
    base.update(columns)
    return pd.DataFrame(base)


def test_zero_tolerance_context_for_2022_and_not_for_2019() -> None:
    in_force = violation_context(dt.date(2022, 3, 15), "27 CFR 478.99(c)")
    before = violation_context(dt.date(2019, 5, 1), "478.99(c)")
    after = violation_context(dt.date(2025, 5, 1), "478.99(c)")
    assert "cited under the 2021 zero-tolerance policy" in in_force["policy_context"]
    assert in_force["cfr_citation"] == before["cfr_citation"] == "27 CFR 478.99(c)"
    for other in (before, after):
        assert other["zero_tolerance_category"] == "prohibited_transfer"
        assert "cited under" not in other["policy_context"]
    ordinary = violation_context(dt.date(2022, 3, 15), "478.124(c)(1)")
    assert ordinary["zero_tolerance_category"] is None and "not one of" in ordinary["policy_context"]


def test_collector_licence_gets_curios_and_relics_only() -> None:
    categories, _ = weapon_categories("03", "TX", dt.date(2025, 1, 1))
    assert categories == ["curios_and_relics"]
    table = dealers(license_type=["03", "01"])
    found = profiles(ProfileTables(table, pd.DataFrame(columns=["dealer_key", "inspection_id"]),
                                   pd.DataFrame(columns=["inspection_id"]), HOTSPOT))
    by_type = {p["verified"]["license_type"]: p["estimated"] for p in found}
    assert by_type["03"]["weapon_categories"] == ["curios_and_relics"]
    assert by_type["03"]["sales_index"] == 0.0 and by_type["03"]["sales_index_confidence"] == 0.0
    assert {"handgun", "rifle", "shotgun", "assault_weapon"} <= set(by_type["01"]["weapon_categories"])


@pytest.mark.parametrize(("state", "day", "allowed"), [
    ("TX", dt.date(2025, 1, 1), True), ("NJ", dt.date(2025, 1, 1), False), ("CA", dt.date(2025, 1, 1), False),
    ("DE", dt.date(2022, 1, 1), True), ("DE", dt.date(2023, 1, 1), False),
    ("WA", dt.date(2023, 1, 1), True), ("WA", dt.date(2024, 1, 1), False), ("DC", dt.date(2025, 1, 1), False)])
def test_assault_weapon_ban_states_remove_the_category(state: str, day: dt.date, allowed: bool) -> None:
    for licence in ("01", "02", "07", "08"):
        categories, notes = weapon_categories(licence, state, day)
        assert ("assault_weapon" in categories) is allowed
        assert bool(notes) is not allowed


def test_hawaii_is_noted_not_removed_and_sot_adds_nfa_items() -> None:
    categories, notes = weapon_categories("01", "HI", dt.date(2025, 1, 1))
    assert "assault_weapon" in categories and "pistol" in notes[0]
    assert "nfa_item" in weapon_categories("01", "TX", None, "SOT 3")[0]
    assert "nfa_item" not in weapon_categories("01", "TX", None, "2")[0]  # a class 2 SOT pairs with 07/10
    assert "nfa_item" in weapon_categories("07", "TX", None, "2")[0]


def test_haversine_matches_a_second_formula_on_real_places() -> None:
    zip_21208 = (39.385362, -76.731109)  # ZCTA 2010 gazetteer, Pikesville MD
    washington = (38.904149, -77.017094)  # Census places 2011 gazetteer, Washington city DC
    la1, lo1, la2, lo2 = map(math.radians, (*zip_21208, *washington))
    chord = math.dist((math.cos(la1) * math.cos(lo1), math.cos(la1) * math.sin(lo1), math.sin(la1)),
                      (math.cos(la2) * math.cos(lo2), math.cos(la2) * math.sin(lo2), math.sin(la2)))
    independent = 2 * EARTH_RADIUS_KM * math.asin(chord / 2)
    assert abs(float(haversine_km(*zip_21208, *washington)) - independent) < 1e-6
    # Baltimore and Washington city centres are about 56 km (35 miles) apart as the crow flies
    assert 50 < float(haversine_km(39.300214, -76.610516, *washington)) < 62


def test_radius_query_boundary() -> None:
    radius = 100.0
    step = math.degrees(radius / EARTH_RADIUS_KM)  # along a meridian, distance = R x latitude difference
    table = dealers(lat=[39.300214 + step * (1 - 1e-6), 39.300214 + step * (1 + 1e-6), None],
                    lon=[-76.610516, -76.610516, None])
    inside = near_hotspots(table, HOTSPOT, radius)
    assert list(inside["dealer_key"]) == [table["dealer_key"][0]]
    assert inside["distance_km"].iloc[0] == pytest.approx(radius, abs=1e-3)
    assert near_hotspots(table, HOTSPOT, radius * 1.0001)["dealer_key"].tolist() == table["dealer_key"][:2].tolist()
    for bad in (0, -1, float("nan"), float("inf")):
        with pytest.raises(InvalidInput):
            check_radius(bad)


def test_data_as_of_is_the_latest_list_of_the_state() -> None:
    table = dealers(premise_state=["VA", "VA", "TX", "NY"], status=["LISTED", "NOT_LISTED", "LISTED", "UNLISTED"],
                    last_verified_date=[dt.date(2025, 2, 1), dt.date(2025, 1, 1), dt.date(2024, 12, 1), None])
    assert data_as_of(table).tolist() == [dt.date(2025, 2, 1), dt.date(2025, 2, 1), dt.date(2024, 12, 1),
                                          dt.date(2025, 2, 1)]


def test_sales_index_ranks_by_population_per_dealer_and_bounds_confidence() -> None:
    # New Jersey has far more residents per dealing licensee than Wyoming (Census 2016 / LA Times 2016 counts)
    table = dealers(premise_state=["NJ", "WY", "TX", "TX"], license_type=["01", "01", "09", "07"])
    result = sales_index(table, dt.date(2025, 1, 1))
    assert result["sales_index"][0] > 1.0 > result["sales_index"][1] > 0
    assert math.isnan(result["sales_index"][2]) and result["sales_index_confidence"][2] == 0.0
    assert result["sales_index"][3] > 1.0  # a manufacturer moves more guns than a retail dealer
    assert ((result["sales_index_confidence"] >= 0) & (result["sales_index_confidence"] <= 0.5)).all()
    assert result["method"].str.contains("NICS").all()


@given(st.text(max_size=12))
def test_expiry_end_parses_only_year_month(text: str) -> None:
    end = expiry_end(text)
    if end is not None:
        assert f"{end.year:04d}-{end.month:02d}" == text
        assert end.day >= 28
        assert end == dt.date.max or (end + dt.timedelta(days=1)).day == 1


@given(st.integers(1, 9999), st.integers(1, 12))
def test_expiry_end_is_the_last_day_of_the_month(year: int, month: int) -> None:
    end = expiry_end(f"{year:04d}-{month:02d}")
    assert end is not None and (end.year, end.month) == (year, month)
    assert end.day >= 28
    assert end == dt.date.max or (end + dt.timedelta(days=1)).day == 1


coordinate = st.tuples(st.floats(-90, 90), st.floats(-180, 180))


@given(coordinate, coordinate)
def test_haversine_is_a_bounded_symmetric_distance(a: tuple[float, float], b: tuple[float, float]) -> None:
    d = float(haversine_km(*a, *b))
    assert 0 <= d <= math.pi * EARTH_RADIUS_KM + 1e-6
    assert d == pytest.approx(float(haversine_km(*b, *a)), abs=1e-6)
    assert float(haversine_km(*a, *a)) == 0.0
    assert np.isfinite(d)
