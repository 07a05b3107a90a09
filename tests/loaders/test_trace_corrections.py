"""A trace record loaded again with other facts replaces its earlier version: the earlier purchaser, possessor and
recovery places do not stay beside the new ones, the load says how many records it corrected, and the next
analysis is a full one (a correction can take a person out of a straw group, which the incremental run cannot
see). A record loaded again with the same facts, or with facts only added, is not a correction."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from algorithms.analyze import analyze, write_back
from algorithms.runs import NeedsFullAnalysis, new_load_runs
from graph.embedded_store import EmbeddedStore
from loaders.base import LoadReport
from tests.trace_corrections_support import FILE, fixture_rows, record_of, write_rows


def test_a_corrected_record_replaces_its_purchaser_possessor_and_places(
        load: Callable[..., LoadReport], embedded_store: EmbeddedStore, tmp_path: Path) -> None:
    load("traces", FILE)
    write_back(embedded_store, analyze(embedded_store))
    fields, rows = fixture_rows()
    before = record_of(embedded_store, "T-100")
    assert before == {"purchasers": ["SMITH"], "possessors": ["DOE"],
                      "places": ["city:US-VA:RICHMOND", "zip:23220"]}, before

    same = load("traces", write_rows(tmp_path / "same.csv", fields, rows["T-100"]))
    assert "corrected" not in same.details
    assert record_of(embedded_store, "T-100") == before
    new_load_runs(embedded_store)  # nothing corrected: an incremental run may take it

    fixed = {**rows["T-100"], "purchaser_last_name": "JONES", "possessor_last_name": "ROE",
             "recovery_city": "Norfolk", "recovery_zip": "23510", "purchase_date": "01/03/2019"}
    report = load("traces", write_rows(tmp_path / "fixed.csv", fields, fixed))
    assert report.details["corrected"] == 1
    assert record_of(embedded_store, "T-100") == {"purchasers": ["JONES"], "possessors": ["ROE"],
                                                "places": ["city:US-VA:NORFOLK", "zip:23510"]}
    recovery = {r["key"]: r for r in embedded_store.node_table("Recovery", ("time_to_crime_days",)).to_pylist()}
    assert recovery["T-100"]["time_to_crime_days"] == 377  # 2019-01-03 -> 2020-01-15
    with pytest.raises(NeedsFullAnalysis, match=r"1 trace record.*loaded again with other facts"):
        new_load_runs(embedded_store)
    write_back(embedded_store, analyze(embedded_store))  # the full run takes it in
    new_load_runs(embedded_store)


def test_a_completed_trace_is_not_a_correction(load: Callable[..., LoadReport], embedded_store: EmbeddedStore,
                                               tmp_path: Path) -> None:
    """A trace first exported without a purchaser (in progress) and completed later gains one: facts only
    added."""
    fields, rows = fixture_rows()
    pending = {**rows["T-100"], **{f"purchaser_{f}": "" for f in ("last_name", "first_name", "middle_name", "dob",
                                                                     "street", "city", "state", "zip")},
               "trace_status": "INCOMPLETE"}
    load("traces", write_rows(tmp_path / "pending.csv", fields, pending))
    assert record_of(embedded_store, "T-100")["purchasers"] == []
    report = load("traces", write_rows(tmp_path / "done.csv", fields, rows["T-100"]))
    assert "corrected" not in report.details
    assert record_of(embedded_store, "T-100")["purchasers"] == ["SMITH"]


def test_a_corrected_dealer_no_longer_sold_the_gun(load: Callable[..., LoadReport], embedded_store: EmbeddedStore,
                                                   tmp_path: Path) -> None:
    """A gun (serial X9) bought by Smith from dealer 1-54-20000 was sold by 1-54-20001: the gun has one seller."""
    fields, rows = fixture_rows()
    sold = {**rows["T-100"], "trace_id": "T-200", "serial_number": "X9", "multiple_sale_report_id": ""}
    load("traces", write_rows(tmp_path / "sold.csv", fields, sold))

    def sellers() -> list[str]:
        return sorted(e["src"] for e in embedded_store.edge_list("SOLD", "Dealer", "Firearm").to_pylist()
                      if e["dst"].endswith("|X9|PISTOL"))

    assert sellers() == ["1-54-20000"]
    report = load("traces", write_rows(tmp_path / "fixed.csv", fields, {**sold, "dealer_ffl": "1-54-107-01-5A-20001"}))
    assert report.details["corrected"] == 1
    assert sellers() == ["1-54-20001"]
