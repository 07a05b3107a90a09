"""Property tests for the field parsers: dates, FFL license numbers, serial and manufacturer normalisation."""


from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from loaders.domain.parsing import (
    normalize_manufacturer,
    normalize_serial,
    parse_date,
    parse_dates,
    parse_license,
    parse_licenses,
)

dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))


@settings(max_examples=40, deadline=None)
@given(dates)
def test_iso_and_us_forms_of_a_date_parse_to_that_date(day: dt.date) -> None:
    assert parse_date(day.isoformat()) == day
    assert parse_date(f"{day.month:02d}/{day.day:02d}/{day.year}") == day
    assert parse_date(f"  {day.month}/{day.day}/{day.year} ") == day


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=12))
def test_date_parser_never_crashes_and_flags_what_it_cannot_read(text: str) -> None:
    parsed, bad = parse_dates(pd.Series([text], dtype=object))
    assert bool(bad.iloc[0]) == (pd.isna(parsed.iloc[0]) and text.strip() != "")


def test_impossible_dates_are_bad() -> None:
    _, bad = parse_dates(pd.Series(["2021-02-30", "13/01/2020", "2020-13-01", "01/02/20"], dtype=object))
    assert bad.all()


license_parts = st.tuples(st.integers(1, 9), st.integers(0, 99), st.integers(0, 999), st.sampled_from(
    ["01", "02", "03", "06", "07", "08", "09", "10", "11"]), st.integers(0, 9), st.sampled_from("ABCDEFGHJKLM"),
    st.integers(0, 99999))


@settings(max_examples=40, deadline=None)
@given(license_parts, st.sampled_from(["-", "", " "]))
def test_license_number_round_trips_and_identity_ignores_expiry(parts: tuple, sep: str) -> None:
    region, district, county, type_, year, month, seq = parts
    text = sep.join([str(region), f"{district:02d}", f"{county:03d}", type_, f"{year}{month}", f"{seq:05d}"])
    parsed = parse_license(text)
    assert parsed["license_number"] == f"{region}-{district:02d}-{county:03d}-{type_}-{year}{month}-{seq:05d}"
    assert parsed["dealer_key"] == f"{region}-{district:02d}-{seq:05d}"
    renewed = parse_license(parsed["license_number"].replace(f"-{year}{month}-", f"-{(year + 3) % 10}{month}-"))
    assert renewed["dealer_key"] == parsed["dealer_key"]


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=25))
def test_malformed_license_numbers_are_flagged_not_guessed(text: str) -> None:
    frame, bad = parse_licenses(pd.Series([text], dtype=object))
    assert bool(bad.iloc[0]) or pd.notna(frame["dealer_key"].iloc[0]) or text.strip() == ""


def test_expiry_letter_i_is_not_a_month() -> None:
    _, bad = parse_licenses(pd.Series(["1-54-003-01-5I-12345"], dtype=object))
    assert bad.iloc[0]


serials = st.text(alphabet="ABCDEFGHJKLMNPRSTUVWXYZ0123456789", min_size=3, max_size=12).filter(
    lambda s: s not in ("000", "NONE", "NULL", "UNK", "NOSN", "OBLIT"))


@settings(max_examples=40, deadline=None)
@given(serials, st.data())
def test_serial_normalisation_ignores_case_spaces_and_dashes(serial: str, data: st.DataObject) -> None:
    noisy = "".join(c.lower() if data.draw(st.booleans()) else c for c in serial)
    cut = data.draw(st.integers(0, len(noisy)))
    noisy = noisy[:cut] + data.draw(st.sampled_from(["-", " ", " - ", ""])) + noisy[cut:]
    assert normalize_serial(noisy) == normalize_serial(serial) == serial


def test_placeholder_serials_mean_no_serial() -> None:
    assert all(normalize_serial(s) is None for s in ["", "NONE", "n/a", "--", "unknown"])


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["S&W", "s & w", "Smith & Wesson", "SMITH AND WESSON", "Smith & Wesson Inc.",
                        "smith&wesson corp"]))
def test_smith_and_wesson_aliases_fold(name: str) -> None:
    assert normalize_manufacturer(name) == "SMITH & WESSON"


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=30))
def test_manufacturer_normalisation_is_idempotent(name: str) -> None:
    once = normalize_manufacturer(name)
    assert once is None or normalize_manufacturer(once) == once
