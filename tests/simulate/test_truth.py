"""truth.json describes what is really in the files: planted people, rings, dealers, corridors, batches."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.simulate.sim_helpers import dealer_key, parse_dates, read_csv, read_ffl


def _norm(value: str) -> str:
    return " ".join(value.upper().replace(",", " ").replace(".", " ").split())


@pytest.fixture(scope="module")
def sales(world_dir: Path) -> pd.DataFrame:
    return read_csv(world_dir / "multiple_sales.csv")


def test_every_straw_that_left_a_record_is_in_the_files_under_its_name(truth: dict[str, Any], traces: pd.DataFrame,
                                                                     sales: pd.DataFrame) -> None:
    straws = truth["straw_purchasers"]
    assert len(straws) >= 40
    left = [s for s in straws if s["left_record"]]
    assert 0.5 < len(left) / len(straws) < 1.0  # some straws leave no record at all
    by_trace = traces.set_index("trace_id")
    for straw in left:
        last = straw["identity"]["last_name"]
        for tid in straw["purchaser_in_traces"]:
            assert _norm(by_trace.at[tid, "purchaser_last_name"]).startswith(last)
        for rid in straw["multiple_sale_report_ids"]:
            rows = sales[sales["report_id"] == rid]
            assert len(rows) >= 2 and rows["purchaser_last_name"].map(_norm).str.startswith(last).all()
    only_reports = [s for s in left if not s["purchaser_in_traces"]]
    assert only_reports  # a straw may leave only multiple-sale reports


def test_straw_rings_look_like_trafficking(truth: dict[str, Any], traces: pd.DataFrame) -> None:
    rings = truth["rings"]
    assert abs(truth["trafficking_cases"]["straw_share"] - 0.40) < 0.05
    assert 8 <= truth["trafficking_cases"]["mean_guns_per_straw_case"] <= 15
    by_trace = traces.set_index("trace_id")
    short, far = [], []
    for ring in rings:
        assert 2 <= len(ring["straw_person_ids"]) <= 6
        for tid in ring["trace_ids"]:
            row = by_trace.loc[tid]
            assert row["recovery_state"] == ring["destination_state"]
            if row["purchase_date"]:
                days = (parse_dates(pd.Series([row["recovery_date"]])) - parse_dates(
                    pd.Series([row["purchase_date"]]))).dt.days.iloc[0]
                short.append(days <= 365)
            far.append(ring["source_state"] != ring["destination_state"])
    assert sum(short) / len(short) > 0.8
    assert sum(far) / len(far) > 0.6
    corridors = {c["corridor"] for c in truth["corridors"]}
    assert corridors & {"GA->NY", "VA->NY", "SC->NY", "NC->NY", "FL->NY", "IN->IL", "MS->IL"}


def test_planted_dealers_exist_in_the_ffl_list(world_dir: Path, truth: dict[str, Any]) -> None:
    listed = read_ffl(world_dir / "ffl_list.txt")
    numbers = set(listed["LIC_REGN"] + "-" + listed["LIC_DIST"] + "-" + listed["LIC_CNTY"] + "-" + listed["LIC_TYPE"]
                  + "-" + listed["LIC_XPRDTE"] + "-" + listed["LIC_SEQN"])
    dealers = [d for r in truth["rings"] for d in r["dealers"]] + truth["corrupt_dealers"]
    dealers += [d for u in truth["unlicensed_dealers"] for d in u["dealers"]]
    assert truth["corrupt_dealers"]
    for dealer in dealers:
        assert dealer["license_number"] in numbers
        assert dealer["dealer_key"] == dealer_key(pd.Series([dealer["license_number"]])).iloc[0]


def test_corrupt_dealers_are_cited_and_their_traces_stop_or_run_short(world_dir: Path, truth: dict[str, Any],
                                                                      traces: pd.DataFrame) -> None:
    insp = read_csv(world_dir / "inspections.csv")
    viol = read_csv(world_dir / "violations.csv")
    zero_tolerance = {"478.99(c)", "478.102(a)", "478.128(c)", "478.25a", "478.23"}
    by_trace = traces.set_index("trace_id")
    for dealer in truth["corrupt_dealers"]:
        ids = insp.loc[insp["license_number"] == dealer["license_number"], "inspection_id"]
        assert len(ids) and set(viol.loc[viol["inspection_id"].isin(ids), "cfr_code"]) & zero_tolerance
        statuses = by_trace.loc[dealer["diversion_trace_ids"], "trace_status"]
        assert (statuses != "COMPLETED").any() or len(statuses) <= 3


def test_some_traces_quote_an_old_licence_number(world_dir: Path, traces: pd.DataFrame) -> None:
    current = read_ffl(world_dir / "ffl_list.txt")
    numbers = set(current["LIC_REGN"] + "-" + current["LIC_DIST"] + "-" + current["LIC_CNTY"] + "-"
                  + current["LIC_TYPE"] + "-" + current["LIC_XPRDTE"] + "-" + current["LIC_SEQN"])
    quoted = traces.loc[traces["dealer_ffl"] != "", "dealer_ffl"]
    stale = quoted[~quoted.isin(numbers)]
    assert len(stale) > 0
    keys = set(current["LIC_REGN"] + "-" + current["LIC_DIST"] + "-" + current["LIC_SEQN"])
    assert dealer_key(stale).isin(keys).mean() > 0.5  # mostly renewals, the rest closed dealers


def test_theft_victims_have_their_own_signature(truth: dict[str, Any], traces: pd.DataFrame,
                                                sales: pd.DataFrame) -> None:
    victims = truth["theft_victims"]
    assert victims
    by_trace = traces.set_index("trace_id")
    for victim in victims:
        assert not victim["multiple_sale_report_ids"]
        assert not victim["possessor_in_traces"]
        rows = by_trace.loc[victim["trace_ids"]]
        assert len(rows) >= 2 and rows["recovery_city"].nunique() == 1
        recovered = parse_dates(rows["recovery_date"])
        assert (recovered.max() - recovered.min()).days <= 4
        assert (recovered >= pd.Timestamp(victim["theft_date"])).all()


def test_collectors_buy_a_lot_and_are_rarely_recovered(truth: dict[str, Any]) -> None:
    collectors = truth["collectors"]
    assert collectors
    assert all(len(c["multiple_sale_report_ids"]) >= 4 for c in collectors)
    assert sum(len(c["purchaser_in_traces"]) for c in collectors) <= len(collectors)


def test_serial_batches_are_consecutive_and_spread_out(truth: dict[str, Any], traces: pd.DataFrame) -> None:
    batches = truth["batches"]
    assert len(batches) >= 3
    by_trace = traces.set_index("trace_id")
    for batch in batches:
        numbers = [int(re.sub(r"\D", "", s)) for s in batch["serials"]]
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
        rows = by_trace.loc[batch["trace_ids"]]
        assert set(rows["serial_number"]) <= set(batch["serials"])
        assert (rows["manufacturer"] == batch["manufacturer"]).all() and (rows["model"] == batch["model"]).all()
        assert rows["recovery_city"].nunique() >= 2


def test_nibin_groups_are_linked_in_the_leads_file(world_dir: Path, truth: dict[str, Any]) -> None:
    leads = read_csv(world_dir / "nibin_leads.csv")
    pairs = set(zip(leads["trace_id_a"], leads["trace_id_b"], strict=True))
    linked = {a for pair in pairs for a in pair}
    assert truth["nibin_groups"]
    for group in truth["nibin_groups"]:
        assert set(group["trace_ids"]) <= linked


def test_names_vary_across_the_records_of_one_person(truth: dict[str, Any], traces: pd.DataFrame,
                                                     sales: pd.DataFrame) -> None:
    spellings = 0
    for straw in truth["straw_purchasers"] + truth["collectors"]:
        names = set(traces.loc[traces["trace_id"].isin(straw["purchaser_in_traces"]), "purchaser_first_name"])
        names |= set(sales.loc[sales["report_id"].isin(straw["multiple_sale_report_ids"]), "purchaser_first_name"])
        spellings += len(names) > 1
    assert spellings >= 5
    assert truth["generator"]["parameters"]["seed"] > 0
