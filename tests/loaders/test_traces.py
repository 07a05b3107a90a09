"""Trace records: malformed rows land in rejects with reasons, guns and dealers key correctly, reloads and
interrupted loads end in the state of one clean run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from loader_helpers import FIXTURES, rejects

from graph.embedded_store import EmbeddedStore
from loaders.base import LoadOptions, SimulatedCrash, run_load
from loaders.traces import TracesLoader

FILE = "traces_malformed.csv"


def test_every_malformed_row_is_rejected_with_its_line_and_reason(load) -> None:
    report = load("traces", FILE)
    assert (report.read, report.loaded, report.rejected) == (12, 5, 7)
    got = {(r["line"], r["trace_id"], r["reason"]) for r in rejects(report)}
    assert got == {
        ("6", "T-104", "bad date in recovery_date"),
        ("7", "T-105", "missing serial_number without obliterated_serial=Y"),
        ("8", "T-106", "unknown weapon_type"),
        ("9", "T-107", "bad recovery_state"),
        ("10", "T-100", "duplicate trace_id in file"),
        ("11", "T-108", "unparseable license number in dealer_ffl"),
        ("12", "T-109", "wrong number of fields (expected 40, got 37)"),
    }
    verbatim = next(r for r in rejects(report) if r["trace_id"] == "T-104")
    assert verbatim["recovery_date"] == "2020-13-45" and verbatim["manufacturer"] == "GLOCK"


def test_same_gun_merges_across_spellings_but_obliterated_serials_never_do(load, embedded_store: EmbeddedStore) -> None:
    load("traces", FILE)
    guns = embedded_store.edge_list("RECOVERED_IN", "Firearm", "Recovery").to_pylist()
    gun_of = {g["dst"]: g["src"] for g in guns}
    assert gun_of["T-100"] == gun_of["T-101"] == "SMITH & WESSON|ABC123|PISTOL"
    assert gun_of["T-102"] != gun_of["T-103"]


def test_time_to_crime_dealer_identity_and_people(load, embedded_store: EmbeddedStore) -> None:
    load("traces", FILE)
    recoveries = {r["key"]: r for r in embedded_store.node_table(
        "Recovery", ("time_to_crime_days", "geocode_precision", "recovery_country")).to_pylist()}
    assert recoveries["T-100"]["time_to_crime_days"] == 370
    assert recoveries["T-101"]["geocode_precision"] == "coordinates"
    assert recoveries["T-110"]["recovery_country"] == "MX"
    sold = embedded_store.edge_list("SOLD", "Dealer", "Firearm", ("license_number_quoted",)).to_pylist()
    assert {s["src"] for s in sold} == {"1-54-20000"}  # 5A and 8C expiry codes reach one dealer
    dealer = embedded_store.node_table("Dealer", ("status",)).to_pylist()
    assert dealer == [{"key": "1-54-20000", "status": "UNLISTED"}]
    purchased = embedded_store.edge_list("PURCHASED", "Person", "Firearm", ("sale_id",)).to_pylist()
    possessed = embedded_store.edge_list("POSSESSED_BY", "Recovery", "Person").to_pylist()
    buyer = {p["sale_id"]: p["src"] for p in purchased}
    holder = {p["src"]: p["dst"] for p in possessed}
    # "  smith / John / 1980-05-01" and "SMITH / JOHN / 05/01/1980" are one person, who is also T-103's possessor
    assert buyer["trace:T-100"] == buyer["trace:T-101"] == holder["T-103"]
    assert holder["T-100"] != buyer["trace:T-100"]


def test_listed_dealer_keeps_its_latest_license_number(load, embedded_store: EmbeddedStore) -> None:
    load("ffl", "0125-ffl-list-va-excerpt.txt")
    load("traces", FILE)
    dealer = {r["key"]: r for r in embedded_store.node_table("Dealer", ("license_number", "status")).to_pylist()}
    assert dealer["1-54-20000"] == {"key": "1-54-20000", "license_number": "1-54-107-01-5A-20000", "status": "LISTED"}
    sold = embedded_store.edge_list("SOLD", "Dealer", "Firearm").to_pylist()
    assert {s["src"] for s in sold} == {"1-54-20000"}


def test_reload_changes_nothing(load, embedded_store: EmbeddedStore) -> None:
    load("traces", FILE)
    before = embedded_store.counts()
    persons = sorted(embedded_store.node_table("Person").column("key").to_pylist())
    load("traces", FILE)
    assert embedded_store.counts() == before
    assert sorted(embedded_store.node_table("Person").column("key").to_pylist()) == persons


def snapshot(store: EmbeddedStore) -> dict:
    return {"counts": store.counts(),
            "persons": sorted(store.node_table("Person", ("record_count",)).to_pylist(), key=str),
            "purchased": sorted(store.edge_list("PURCHASED", "Person", "Firearm", ("sale_id",)).to_pylist(), key=str),
            "guns": sorted(store.node_table("Firearm").column("key").to_pylist())}


def test_a_load_killed_halfway_then_rerun_equals_one_clean_run(tmp_path: Path) -> None:
    source = FIXTURES / FILE
    clean = EmbeddedStore(tmp_path / "clean.lbug")
    clean.init_schema()
    run_load(TracesLoader, clean, source, LoadOptions(rejects_dir=tmp_path / "r1", batch_rows=3))
    expected = snapshot(clean)
    clean.close()
    crashed = EmbeddedStore(tmp_path / "crashed.lbug")
    crashed.init_schema()
    with pytest.raises(SimulatedCrash):
        run_load(TracesLoader, crashed, source, LoadOptions(rejects_dir=tmp_path / "r2", batch_rows=3,
                                                             crash_after_batches=2))
    assert crashed.counts() != expected["counts"]
    report = run_load(TracesLoader, crashed, source, LoadOptions(rejects_dir=tmp_path / "r2", batch_rows=3))
    assert report.read == report.loaded + report.rejected == 12
    assert snapshot(crashed) == expected
    crashed.close()


def test_a_truncated_copy_loaded_first_then_the_full_file(tmp_path: Path) -> None:
    lines = (FIXTURES / FILE).read_text(encoding="utf-8").splitlines(keepends=True)
    partial = tmp_path / "partial.csv"
    partial.write_text("".join(lines[:4]), encoding="utf-8")
    full = tmp_path / "full.csv"
    shutil.copy(FIXTURES / FILE, full)
    one = EmbeddedStore(tmp_path / "one.lbug")
    one.init_schema()
    run_load(TracesLoader, one, full, LoadOptions(rejects_dir=tmp_path))
    two = EmbeddedStore(tmp_path / "two.lbug")
    two.init_schema()
    run_load(TracesLoader, two, partial, LoadOptions(rejects_dir=tmp_path))
    run_load(TracesLoader, two, full, LoadOptions(rejects_dir=tmp_path))
    a, b = snapshot(one), snapshot(two)
    a["counts"]["nodes"]["LoadRun"] += 1  # the truncated copy is a file of its own, with its own LoadRun
    assert a == b
    one.close()
    two.close()


def test_a_recovery_abroad_that_names_a_state_or_province_loads(load, embedded_store: EmbeddedStore,
                                                               tmp_path: Path) -> None:
    """Agencies abroad often fill recovery_state with their own province ("BC" for Baja California); it is kept
    as text on the recovery but is not a US state, so the city is keyed by country alone."""
    lines = (FIXTURES / FILE).read_text(encoding="utf-8").splitlines()
    header, row = lines[0], next(line for line in lines if line.startswith("T-100,"))
    fields = row.split(",")
    columns = header.split(",")
    fields[columns.index("trace_id")] = "T-900"
    for name, value in (("recovery_city", "Tijuana"), ("recovery_state", "BC"), ("recovery_zip", ""),
                        ("recovery_country", "MX")):
        fields[columns.index(name)] = value
    path = tmp_path / "abroad.csv"
    path.write_text(f"{header}\n{','.join(fields)}\n", encoding="utf-8")
    report = load("traces", path)
    assert (report.loaded, report.rejected) == (1, 0)
    recovery = embedded_store.node_table("Recovery", ("recovery_state", "recovery_country")).to_pylist()
    assert recovery == [{"key": "T-900", "recovery_state": "BC", "recovery_country": "MX"}]
    at = embedded_store.edge_list("AT", "Recovery", "Location").to_pylist()
    assert {"src": "T-900", "dst": "city:MX:TIJUANA"} in [{"src": a["src"], "dst": a["dst"]} for a in at]
