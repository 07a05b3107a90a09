"""A multiple-sale row, a NIBIN lead or a lost/stolen report loaded again with other facts replaces its earlier
version, as a corrected trace does (tests/loaders/test_trace_corrections.py): the earlier purchaser, dealer, lead
endpoints, stolen guns and reporter do not stay beside the new ones, the load counts the corrected records, and the
next analysis is a full one when the correction can change a result. Loaded again unchanged, or with facts only
added (a lead confirmed), it is not a correction. A dealer's moved premises and an inspection naming another dealer
replace their earlier relationships too (those loads always call for a full analysis)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from algorithms.analyze import analyze, write_back
from algorithms.runs import NeedsFullAnalysis, new_load_runs
from algorithms.stolen_hits import after_load, hits
from api.cli import app
from graph.embedded_store import EmbeddedStore
from loaders.base import LoadReport
from tests.record_corrections_support import (
    MSR_FIELDS,
    NIBIN_FIELDS,
    STOLEN_FIELDS,
    msr_row,
    sale_of,
    stolen_of,
    write_rows,
)
from tests.trace_corrections_support import FILE, FIXTURES

Load = Callable[..., LoadReport]


def _analysed(load: Load, store: EmbeddedStore) -> None:
    load("traces", FILE)
    write_back(store, analyze(store))


def test_a_corrected_multiple_sale_replaces_its_purchaser_and_dealer(
        load: Load, embedded_store: EmbeddedStore, tmp_path: Path) -> None:
    _analysed(load, embedded_store)
    first = load("multiple-sales", write_rows(tmp_path / "first.csv", MSR_FIELDS, msr_row()))
    assert "corrected" not in first.details
    assert sale_of(embedded_store, "MS-9") == {"purchasers": ["SMITH"], "dealers": ["1-54-20000"]}
    write_back(embedded_store, analyze(embedded_store))

    same = load("multiple-sales", write_rows(tmp_path / "same.csv", MSR_FIELDS, msr_row()))
    assert "corrected" not in same.details
    new_load_runs(embedded_store)  # loaded again unchanged: an incremental run may take it

    fixed = msr_row(purchaser_last_name="JONES", dealer_ffl="1-54-107-01-5A-20001", sale_date="2019-01-11")
    report = load("multiple-sales", write_rows(tmp_path / "fixed.csv", MSR_FIELDS, fixed))
    assert report.details["corrected"] == 1
    assert sale_of(embedded_store, "MS-9") == {"purchasers": ["JONES"], "dealers": ["1-54-20001"]}
    with pytest.raises(NeedsFullAnalysis, match=r"1 multiple-sale record.*loaded again with other facts"):
        new_load_runs(embedded_store)
    write_back(embedded_store, analyze(embedded_store))
    new_load_runs(embedded_store)


def test_a_multiple_sale_corrected_in_make_leaves_no_second_gun(
        load: Load, embedded_store: EmbeddedStore, tmp_path: Path) -> None:
    """A corrected manufacturer keys another gun: the earlier record is found through its purchaser, and its gun
    keeps neither the purchase nor the sale (Smith would otherwise have bought two guns on one row)."""
    load("multiple-sales", write_rows(tmp_path / "first.csv", MSR_FIELDS, msr_row(manufacturer="SMITH WESSON")))
    _analysed(load, embedded_store)
    report = load("multiple-sales", write_rows(tmp_path / "fixed.csv", MSR_FIELDS, msr_row()))
    assert report.details["corrected"] == report.details["corrected_for_analysis"] == 1
    purchases = embedded_store.edge_list("PURCHASED", "Person", "Firearm", ("report_id",)).to_pylist()
    guns = [p["dst"] for p in purchases if p["report_id"] == "MS-9"]
    assert len(guns) == 1 and "GLOCK" in guns[0]
    sold = [s["dst"] for s in embedded_store.edge_list("SOLD", "Dealer", "Firearm").to_pylist() if "MS9" in s["dst"]]
    assert sold == guns
    assert sale_of(embedded_store, "MS-9") == {"purchasers": ["SMITH"], "dealers": ["1-54-20000"]}
    with pytest.raises(NeedsFullAnalysis, match=r"1 multiple-sale record"):
        new_load_runs(embedded_store)


def test_a_multiple_sale_form_corrected_needs_no_full_analysis(
        load: Load, embedded_store: EmbeddedStore, tmp_path: Path) -> None:
    """The form (3310.4 or 3310.12) is a fact no analysis reads: counted, the incremental run still allowed."""
    load("multiple-sales", write_rows(tmp_path / "first.csv", MSR_FIELDS, msr_row()))
    _analysed(load, embedded_store)
    report = load("multiple-sales", write_rows(tmp_path / "fixed.csv", MSR_FIELDS, msr_row(form="3310.12")))
    assert report.details["corrected"] == 1
    assert report.details["corrected_for_analysis"] == 0
    new_load_runs(embedded_store)


def test_a_corrected_nibin_lead_replaces_its_link(load: Load, embedded_store: EmbeddedStore, tmp_path: Path) -> None:
    _analysed(load, embedded_store)

    def lead(b: str, status: str) -> Path:
        return write_rows(tmp_path / f"lead-{b}-{status}.csv", NIBIN_FIELDS,
                          {"lead_id": "L-9", "trace_id_a": "T-100", "trace_id_b": b, "lead_date": "2020-04-01",
                           "status": status})

    load("nibin", lead("T-101", "UNCONFIRMED"))
    write_back(embedded_store, analyze(embedded_store))
    confirmed = load("nibin", lead("T-101", "CONFIRMED"))  # a lead confirmed later: facts only added
    assert "corrected" not in confirmed.details
    new_load_runs(embedded_store)

    report = load("nibin", lead("T-103", "CONFIRMED"))
    assert report.details["corrected"] == 1
    links = embedded_store.edge_list("NIBIN_LINK", "Recovery", "Recovery", ("lead_id",)).to_pylist()
    assert sorted((e["src"], e["dst"]) for e in links if e["lead_id"] == "L-9") == [("T-100", "T-103")]
    with pytest.raises(NeedsFullAnalysis, match=r"1 NIBIN lead.*loaded again with other facts"):
        new_load_runs(embedded_store)


def test_a_corrected_stolen_report_replaces_its_guns_and_reporter(
        load: Load, embedded_store: EmbeddedStore, tmp_path: Path) -> None:
    _analysed(load, embedded_store)

    def report_file(name: str, reporter: str, *serials: str) -> Path:
        rows = [{"report_id": "R-9", "reported_date": "2019-06-01", "reporter": reporter, "serial_number": s,
                 "manufacturer": "S&W", "model": "M&P9", "caliber": "9MM", "weapon_type": "PISTOL",
                 "country": "US"} for s in serials]
        return write_rows(tmp_path / name, STOLEN_FIELDS, *rows)

    first = load("stolen", report_file("first.csv", "1-54-107-01-5A-20000", "ABC123", "QQ1"),
                 after_load=after_load)
    assert "corrected" not in first.details
    assert set(hits(embedded_store)["trace_id"]) == {"T-100", "T-101"}  # ABC-123 was recovered twice
    write_back(embedded_store, analyze(embedded_store))

    fixed = load("stolen", report_file("fixed.csv", "1-54-107-01-5A-20001", "QQ1", "QQ2"), after_load=after_load)
    assert fixed.details["corrected"] == 1
    assert stolen_of(embedded_store, "R-9") == {"guns": ["SMITH & WESSON|QQ1|PISTOL", "SMITH & WESSON|QQ2|PISTOL"],
                                                "reporters": ["1-54-20001"]}
    assert hits(embedded_store).empty
    flagged = [r["key"] for r in embedded_store.node_table("Recovery", ("reported_stolen",)).to_pylist()
               if r["reported_stolen"]]
    assert flagged == []  # the recoveries of the gun no longer reported stolen lost their flag
    with pytest.raises(NeedsFullAnalysis, match=r"1 lost/stolen report.*loaded again with other facts"):
        new_load_runs(embedded_store)


def test_a_dealer_whose_premises_moved_is_at_the_new_place_only(
        load: Load, embedded_store: EmbeddedStore, tmp_path: Path) -> None:
    """The next month's FFL list moves licensee 1-54-20002 from Aldie (20105) to Richmond (23219): the dealer is
    no longer in Aldie too. Another street in the same city and ZIP moves nothing."""
    load("ffl", "0125-ffl-list-va-excerpt.txt")
    text = (FIXTURES / "0225-ffl-list-va-excerpt.txt").read_text(encoding="utf-8")
    moved = text.replace("1 NEW PREMISES RD\tALDIE\tVA\t20105", "1 NEW PREMISES RD\tRICHMOND\tVA\t23219")
    assert moved != text
    (tmp_path / "0225-ffl-list-va-excerpt.txt").write_text(moved, encoding="utf-8")
    report = load("ffl", tmp_path / "0225-ffl-list-va-excerpt.txt")
    assert report.details["corrected"] == 1
    at = embedded_store.edge_list("AT", "Dealer", "Location").to_pylist()
    assert sorted(a["dst"] for a in at if a["src"] == "1-54-20002") == ["city:US-VA:RICHMOND", "zip:23219"]
    assert sorted(a["dst"] for a in at if a["src"] == "1-54-20000") == ["city:US-VA:ALDIE", "zip:20105"]


def test_an_inspection_corrected_to_another_dealer(load: Load, embedded_store: EmbeddedStore, tmp_path: Path) -> None:
    load("inspections", "inspections.csv")
    text = (FIXTURES / "inspections.csv").read_text(encoding="utf-8")
    fixed = text.replace("I-2,1-54-107-07-6B-20001", "I-2,1-54-107-01-5A-20000")
    assert fixed != text
    report = load("inspections", write_text(tmp_path / "inspections.csv", fixed))
    assert report.details["corrected"] == 1
    inspected = embedded_store.edge_list("INSPECTED", "Dealer", "Inspection").to_pylist()
    assert [e["src"] for e in inspected if e["dst"] == "I-2"] == ["1-54-20000"]


def write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_the_load_command_says_what_it_corrected(tmp_path: Path) -> None:
    db, rejects = str(tmp_path / "cli.lbug"), str(tmp_path / "rejects")
    runner = CliRunner()
    first = runner.invoke(app, ["--db", db, "load", "multiple-sales", "--rejects-dir", rejects,
                                str(write_rows(tmp_path / "first.csv", MSR_FIELDS, msr_row()))])
    assert first.exit_code == 0, first.output
    assert "corrected" not in first.output
    fixed = msr_row(purchaser_last_name="JONES", form="3310.12")
    second = msr_row(report_id="MS-10", serial_number="MS10")
    again = runner.invoke(app, ["--db", db, "load", "multiple-sales", "--rejects-dir", rejects,
                                str(write_rows(tmp_path / "fixed.csv", MSR_FIELDS, fixed, second))])
    assert again.exit_code == 0, again.output
    assert "corrected: 1 record(s) replaced an earlier version" in again.output
    form_only = runner.invoke(app, ["--db", db, "load", "multiple-sales", "--rejects-dir", rejects,
                                    str(write_rows(tmp_path / "form.csv", MSR_FIELDS, {**fixed, "form": "3310.4"}))])
    assert "corrected: 1 record(s)" in form_only.output
    assert "1 of them changed only facts no analysis reads" in form_only.output
