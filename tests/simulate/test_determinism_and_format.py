"""Same seed, same bytes; different seed, different world; every file in the format DATA_FORMATS.md describes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from graph.errors import InvalidInput
from loaders.synthetic import FILES, simulate
from tests.simulate.sim_helpers import LICENSE, SEED, parse_dates, read_csv, read_ffl

FFL_HEADER = ["LIC_REGN", "LIC_DIST", "LIC_CNTY", "LIC_TYPE", "LIC_XPRDTE", "LIC_SEQN", "LICENSE_NAME",
              "BUSINESS_NAME", "PREMISE_STREET", "PREMISE_CITY", "PREMISE_STATE", "PREMISE_ZIP_CODE", "MAIL_STREET",
              "MAIL_CITY", "MAIL_STATE", "MAIL_ZIP_CODE", "VOICE_PHONE"]
REQUIRED = {
    "traces.csv": ["trace_id", "request_date", "recovery_date", "recovery_street", "recovery_city", "recovery_state",
                   "recovery_zip", "recovery_country", "recovery_lat", "recovery_lon", "crime_code", "agency_ori",
                   "agency_name", "serial_number", "obliterated_serial", "manufacturer", "importer", "model",
                   "caliber", "weapon_type", "country_of_manufacture", "trace_status", "dealer_ffl", "purchase_date",
                   "multiple_sale_report_id", "purchaser_last_name", "purchaser_first_name",
                   "purchaser_middle_name", "purchaser_dob", "purchaser_street", "purchaser_city", "purchaser_state",
                   "purchaser_zip", "possessor_last_name", "possessor_first_name", "possessor_dob",
                   "possessor_street", "possessor_city", "possessor_state", "possessor_zip"],
    "multiple_sales.csv": ["report_id", "form", "dealer_ffl", "sale_date", "purchaser_last_name",
                           "purchaser_first_name", "purchaser_dob", "purchaser_street", "purchaser_city",
                           "purchaser_state", "purchaser_zip", "serial_number", "manufacturer", "model", "caliber",
                           "weapon_type"],
    "nibin_leads.csv": ["lead_id", "trace_id_a", "trace_id_b", "lead_date", "status"],
    "inspections.csv": ["inspection_id", "license_number", "inspection_date", "outcome", "source_document_url"],
    "violations.csv": ["violation_id", "inspection_id", "cfr_code", "description"],
    "hotspots.csv": ["city", "state", "lat", "lon", "violent_crime_rate_per_100k", "homicide_rate_per_100k",
                     "data_year"],
}


def test_same_seed_gives_identical_bytes_through_the_cli(world_dir: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    result = subprocess.run([sys.executable, "-c", "from api.cli import main; main()", "simulate", "--scale",
                             "small", "--seed", str(SEED), "--out", str(again), "--json"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["rows"]["traces.csv"] == 5000
    for name in FILES:
        assert (world_dir / name).read_bytes() == (again / name).read_bytes(), name


def test_a_different_seed_gives_a_different_world(world_dir: Path, tmp_path: Path) -> None:
    simulate("small", SEED + 1, tmp_path)
    for name in FILES:
        if name == "hotspots.csv":  # real UCR figures: the same in every world
            assert (world_dir / name).read_bytes() == (tmp_path / name).read_bytes()
        else:
            assert (world_dir / name).read_bytes() != (tmp_path / name).read_bytes(), name


def test_bad_scale_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        simulate("galactic", 1, tmp_path)
    result = subprocess.run([sys.executable, "-c", "from api.cli import main; main()", "simulate", "--scale",
                             "galactic", "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1


def test_ffl_list_is_atf_raw_text(world_dir: Path, truth: dict[str, Any]) -> None:
    for name in ("ffl_list.txt", "ffl_list_prev.txt"):
        raw = (world_dir / name).read_bytes()
        lines = raw.split(b"\r\n")
        assert lines[0].decode().split("\t") == FFL_HEADER
        assert all(set(cell) == {"-"} for cell in lines[1].decode().split("\t"))
        assert len(lines[1].decode().split("\t")) == 17
        frame = read_ffl(world_dir / name)
        numbers = (frame["LIC_REGN"] + "-" + frame["LIC_DIST"] + "-" + frame["LIC_CNTY"] + "-" + frame["LIC_TYPE"]
                   + "-" + frame["LIC_XPRDTE"] + "-" + frame["LIC_SEQN"])
        bad = ~numbers.str.fullmatch(LICENSE.pattern)
        assert int(bad.sum()) == truth["expected_rejects"][name]
        assert frame["LIC_CNTY"].str.fullmatch(r"\d{3}").all()  # leading zeros kept as text


def test_renewals_change_only_the_expiry_code(world_dir: Path) -> None:
    now, before = read_ffl(world_dir / "ffl_list.txt"), read_ffl(world_dir / "ffl_list_prev.txt")
    key = ["LIC_REGN", "LIC_DIST", "LIC_SEQN"]
    both = now.merge(before, on=key, suffixes=("", "_prev"))
    renewed = both[both["LIC_XPRDTE"] != both["LIC_XPRDTE_prev"]]
    assert 0.02 < len(renewed) / len(both) < 0.15
    assert (renewed["LICENSE_NAME"] == renewed["LICENSE_NAME_prev"]).all()
    assert len(now) != len(both) and len(before) != len(both)  # licensees opened and closed between lists


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_csv_columns(world_dir: Path, name: str) -> None:
    header = (world_dir / name).read_text(encoding="utf-8").split("\n", 1)[0]
    assert header.split(",") == REQUIRED[name]
    assert b"\r" not in (world_dir / name).read_bytes()


def _trace_problems(frame: pd.DataFrame) -> pd.Series:
    """An independent reading of the traces.csv rules: required fields and parseable dates."""
    required = ["trace_id", "recovery_date", "recovery_city", "manufacturer", "weapon_type"]
    missing = (frame[required] == "").any(axis=1)
    serial = (frame["serial_number"] == "") & (frame["obliterated_serial"] != "Y")
    bad_date = parse_dates(frame["recovery_date"]).isna()
    return missing | serial | bad_date


def test_deliberately_malformed_rows_match_the_truth_counts(world_dir: Path, truth: dict[str, Any],
                                                            traces: pd.DataFrame) -> None:
    expected = truth["expected_rejects"]
    assert int(_trace_problems(traces).sum()) == expected["traces.csv"] > 0
    assert 0.003 < expected["traces.csv"] / len(traces) < 0.007
    ms = read_csv(world_dir / "multiple_sales.csv")
    assert int(((ms["report_id"] == "") | parse_dates(ms["sale_date"]).isna()).sum()) == expected["multiple_sales.csv"]
    leads = read_csv(world_dir / "nibin_leads.csv")
    bad_leads = (parse_dates(leads["lead_date"]).isna() | (leads["trace_id_b"] == "")
                 | ~leads["status"].isin(["CONFIRMED", "UNCONFIRMED"]))
    assert int(bad_leads.sum()) == expected["nibin_leads.csv"]
    insp = read_csv(world_dir / "inspections.csv")
    bad_insp = (insp["inspection_id"] == "") | parse_dates(insp["inspection_date"]).isna()
    assert int(bad_insp.sum()) == expected["inspections.csv"]
    viol = read_csv(world_dir / "violations.csv")
    assert int((viol["violation_id"] == "").sum()) == expected["violations.csv"]
    assert truth["files"]["traces.csv"] == len(traces)


def test_trace_ids_unique_and_references_resolve(world_dir: Path, traces: pd.DataFrame) -> None:
    ids = traces.loc[traces["trace_id"] != "", "trace_id"]
    assert ids.is_unique
    leads = read_csv(world_dir / "nibin_leads.csv")
    refs = pd.concat([leads["trace_id_a"], leads["trace_id_b"]])
    assert refs[refs != ""].isin(ids).all()
    ms = read_csv(world_dir / "multiple_sales.csv")
    linked = traces["multiple_sale_report_id"]
    assert linked[linked != ""].isin(ms["report_id"]).all()
    insp = read_csv(world_dir / "inspections.csv")
    viol = read_csv(world_dir / "violations.csv")
    assert viol["inspection_id"].isin(insp["inspection_id"]).all()


def test_realistic_messiness(traces: pd.DataFrame) -> None:
    valid = traces[~_trace_problems(traces)]
    assert valid["recovery_date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").mean() > 0.5
    assert valid["recovery_date"].str.fullmatch(r"\d{2}/\d{2}/\d{4}").mean() > 0.2
    assert set(valid["trace_status"]) == {"COMPLETED", "NO RECORD", "INCOMPLETE"}
    obliterated = valid[valid["obliterated_serial"] == "Y"]
    assert len(obliterated) > 0 and (obliterated["serial_number"] == "").any()
    named = valid[valid["purchaser_last_name"] != ""]
    assert 0.05 < (named["purchaser_dob"] == "").mean() < 0.25
    assert named["purchaser_last_name"].str.contains(r"[a-z]").any()  # not all upper case
    assert named["purchaser_last_name"].str.contains(r"\b(?:JR|SR|II|III|IV|Jr|Sr)\b").any()
    assert (named["purchaser_middle_name"].str.len() == 1).any() and (named["purchaser_middle_name"] == "").any()
    assert (valid["recovery_country"] != "US").any()
