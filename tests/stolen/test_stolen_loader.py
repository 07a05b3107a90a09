"""Lost/stolen reports: malformed rows rejected with line and reason, dealers reached by any form of their FFL
number, reloads and interrupted loads end as one clean run, hits found whichever file is loaded first."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from algorithms.stolen_hits import after_load, hits
from graph.embedded_store import EmbeddedStore
from graph.errors import InvalidInput
from loaders.base import LoadOptions, LoadReport, SimulatedCrash, run_load
from loaders.stolen import StolenLoader, parse_reporters
from loaders.traces import TracesLoader

DATA = Path(__file__).parents[1] / "data" / "stolen"
TRACEGRAPH = [str(Path(sys.executable).parent / "tracegraph")]


def load(store: EmbeddedStore, kind: str, tmp_path: Path, name: str | None = None, **options: Any) -> LoadReport:
    loader = StolenLoader if kind == "stolen" else TracesLoader
    report = run_load(loader, store, DATA / (name or f"{kind}.csv"),
                      LoadOptions(rejects_dir=tmp_path / "rejects", after_load=after_load, **options))
    assert report.read == report.loaded + report.rejected
    return report


def rejects(report: LoadReport) -> list[dict[str, str]]:
    if report.rejects_file is None:
        return []
    with open(report.rejects_file, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_malformed_rows_are_rejected_with_reasons(embedded_store: EmbeddedStore, tmp_path: Path) -> None:
    report = load(embedded_store, "stolen", tmp_path)
    assert (report.read, report.loaded, report.rejected) == (13, 5, 8)
    reasons = {(r["report_id"], r["reason"]) for r in rejects(report)}
    assert ("R-4", "bad date in reported_date") in reasons
    assert ("R-5", "missing reporter") in reasons
    assert ("R-6", "unknown weapon_type") in reasons
    assert ("R-7", "bad country (ISO 3166-1 alpha-2)") in reasons
    assert ("R-2", "the same firearm twice in one report") in reasons  # XYZ-789 == XYZ789, Glock Inc == GLOCK
    assert ("R-1", "reported_date, reporter or country differ from an earlier row of this report") in reasons
    assert any(r.startswith("wrong number of fields") for _, r in reasons)
    assert all(r["line"].isdigit() for r in rejects(report))


def test_reports_group_rows_and_a_dealer_reporter_is_the_dealer(embedded_store: EmbeddedStore, tmp_path: Path) -> None:
    load(embedded_store, "traces", tmp_path)  # the trace quotes 1-54-069-01-5A-20000, the report the 8C renewal
    load(embedded_store, "stolen", tmp_path)
    reports = {r["key"]: r for r in embedded_store.node_table(
        "TheftReport", ("reporter_kind", "firearm_count", "source_form", "reporter_agency")).to_pylist()}
    assert reports["R-1"]["firearm_count"] == 2 and reports["R-1"]["reporter_kind"] == "agency"
    assert reports["R-1"]["reporter_agency"] == "VA0760000 RICHMOND PD"
    assert reports["R-2"]["reporter_kind"] == "dealer" and reports["R-2"]["source_form"] == "ATF F 3310.11"
    assert embedded_store.edge_list("REPORTED", "Dealer", "TheftReport").to_pylist() == [
        {"src": "1-54-20000", "dst": "R-2"}]
    assert embedded_store.counts()["nodes"]["Dealer"] == 1  # no second dealer for the renewed number
    # an empty or placeholder serial is kept, but each such gun is its own node
    r3 = [e["src"] for e in embedded_store.edge_list("REPORTED_STOLEN", "Firearm", "TheftReport").to_pylist()
          if e["dst"] == "R-3"]
    assert len(set(r3)) == 2 and all(k.startswith("UNSERIALED|") for k in r3)


@pytest.mark.parametrize("order", [("traces", "stolen"), ("stolen", "traces")])
def test_hits_are_found_whichever_file_is_loaded_first(embedded_store: EmbeddedStore, tmp_path: Path,
                                                       order: tuple[str, str]) -> None:
    for kind in order:
        load(embedded_store, kind, tmp_path)
    found = hits(embedded_store)
    assert set(zip(found["trace_id"], found["report_id"], strict=True)) == {("S-1", "R-1"), ("S-2", "R-2")}
    by_trace = found.set_index("trace_id")
    assert by_trace.loc["S-1", "days_report_to_recovery"] == 92
    assert by_trace.loc["S-2", "recovery_country"] == "MX"
    flags = {r["key"]: r for r in embedded_store.node_table("Recovery", ("reported_stolen", "stolen_report_id"))
             .to_pylist()}
    assert flags["S-1"]["reported_stolen"] is True and flags["S-1"]["stolen_report_id"] == "R-1"
    assert flags["S-5"]["reported_stolen"] is None  # a gun nobody reported
    guns = {r["key"]: r["reported_stolen"] for r in embedded_store.node_table("Firearm", ("reported_stolen",))
            .to_pylist()}
    assert guns["SMITH & WESSON|ABC123|PISTOL"] is True
    # the trace's description of the gun is kept, whatever the report called it
    makes = dict(zip(*[embedded_store.node_table("Firearm", ("manufacturer",)).column(c).to_pylist()
                       for c in ("key", "manufacturer")], strict=True))
    assert makes["SMITH & WESSON|ABC123|PISTOL"] == "SMITH & WESSON"
    # the firearm's chain (CLI `path`, API firearm view) shows which recovery was of a reported gun
    from algorithms.chain import firearm_chain

    chain = firearm_chain(embedded_store, "firearm:SMITH & WESSON|ABC123|PISTOL")
    stolen = {r.trace_id: (r.reported_stolen, r.stolen_report_id) for r in chain.recoveries}
    assert stolen["S-1"] == (True, "R-1")


def snapshot(store: EmbeddedStore) -> dict[str, Any]:
    return {"counts": store.counts(),
            "reports": sorted(store.node_table("TheftReport", ("firearm_count", "reported_date")).to_pylist(),
                              key=str),
            "links": sorted(store.edge_list("REPORTED_STOLEN", "Firearm", "TheftReport").to_pylist(), key=str)}


def test_reload_and_interrupted_load_equal_one_clean_run(tmp_path: Path) -> None:
    clean = EmbeddedStore(tmp_path / "clean.lbug")
    clean.init_schema()
    load(clean, "stolen", tmp_path, batch_rows=4)
    expected = snapshot(clean)
    load(clean, "stolen", tmp_path, batch_rows=4)  # the same file again: nothing changes
    assert snapshot(clean) == expected
    clean.close()
    crashed = EmbeddedStore(tmp_path / "crashed.lbug")
    crashed.init_schema()
    with pytest.raises(SimulatedCrash):
        load(crashed, "stolen", tmp_path, batch_rows=4, crash_after_batches=1)
    assert snapshot(crashed) != expected
    load(crashed, "stolen", tmp_path, batch_rows=4)
    assert snapshot(crashed) == expected
    crashed.close()


def run_cli(tmp_path: Path, *args: str) -> Result:
    from api.cli import app

    return CliRunner().invoke(app, ["--db", str(tmp_path / "g.lbug"), *args])


def test_cli_load_hits_and_trace_requests(tmp_path: Path) -> None:
    assert run_cli(tmp_path, "init").exit_code == 0
    for kind in ("stolen", "traces"):
        done = run_cli(tmp_path, "load", kind, str(DATA / f"{kind}.csv"), "--rejects-dir", str(tmp_path / "rej"))
        assert done.exit_code == 0, done.output
    unreadable = tmp_path / "binary.csv"
    unreadable.write_bytes(b"\x00\x01\x02PK\x03\x04")
    as_process = subprocess.run([*TRACEGRAPH, "--db", str(tmp_path / "g.lbug"), "load", "stolen", str(unreadable)],
                                capture_output=True, text=True, timeout=120)
    assert as_process.returncode == 2 and len(as_process.stderr.strip().splitlines()) == 1
    assert isinstance(run_cli(tmp_path, "load", "stolen", str(DATA / "traces.csv")).exception, InvalidInput)

    listed = run_cli(tmp_path, "stolen", "hits", "--format", "json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout.strip().splitlines()[-1])
    assert {(r["trace_id"], r["report_id"], r["reporter_kind"]) for r in rows} == {
        ("S-1", "R-1", "agency"), ("S-2", "R-2", "dealer")}
    as_csv = run_cli(tmp_path, "stolen", "hits")
    assert as_csv.stdout.splitlines()[0].startswith("trace_id,recovery_date")

    out = tmp_path / "requests.csv"
    done = run_cli(tmp_path, "trace-requests", "--out", str(out))
    assert done.exit_code == 0, done.output
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    for column in ("recovery_date", "recovery_address", "recovery_city", "recovery_state", "recovery_zip",
                   "recovery_country", "firearm_manufacturer", "firearm_model", "firearm_caliber", "firearm_type",
                   "firearm_serial_number", "firearm_importer", "country_of_manufacture", "possessor_last_name",
                   "possessor_dob", "requesting_agency_name"):
        assert column in frame.columns
    # only the guns with no selling dealer and no purchase: the NO RECORD trace abroad and the obliterated one
    assert sorted(frame["agency_case_number"]) == ["S-3", "S-4"]
    assert frame.set_index("agency_case_number").loc["S-4", "serial_obliterated"] == "Y"
    assert "LOPEZ" in out.read_text(encoding="utf-8") and "LOPEZ" not in done.output
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["firearms"] == 2 and summary["by_recovery_country"] == {"GT": 1, "US": 1}
    later = run_cli(tmp_path, "trace-requests", "--out", str(out), "--since", "2022-01-01")
    assert later.exit_code == 0, later.output
    assert json.loads(later.stdout.strip().splitlines()[-1])["firearms"] == 1
    assert isinstance(run_cli(tmp_path, "trace-requests", "--out", str(out), "--since", "soon").exception,
                      InvalidInput)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(
    st.text(max_size=25),
    st.builds(lambda r, d, s, e: f"{r}-{d:02d}-{s:05d}" if e is None else f"{r}-{d:02d}-123-01-{e}-{s:05d}",
              st.integers(1, 9), st.integers(0, 99), st.integers(0, 99999),
              st.one_of(st.none(), st.sampled_from(["5A", "8C", "0M"])))), min_size=1, max_size=20))
def test_reporter_parsing_is_total_and_consistent(values: list[str]) -> None:
    column = pd.Series(values, dtype=object)
    parsed = parse_reporters(column)
    assert len(parsed) == len(values)
    for value, kind, key in zip(values, parsed["reporter_kind"], parsed["dealer_key"], strict=True):
        if not value.strip():
            assert pd.isna(kind)
            continue
        assert kind in ("dealer", "agency")
        assert (kind == "dealer") == isinstance(key, str)
        if kind == "dealer":  # REGN-DIST-SEQN, whatever the expiry part said
            digits = "".join(ch for ch in value if ch.isdigit())
            assert key.replace("-", "") == digits[:3] + digits[-5:]


def test_a_later_trace_load_checks_its_own_recoveries_and_keeps_the_earlier_flags(embedded_store: EmbeddedStore,
                                                                                tmp_path: Path) -> None:
    load(embedded_store, "stolen", tmp_path)
    load(embedded_store, "traces", tmp_path)
    lines = (DATA / "traces.csv").read_text(encoding="utf-8").splitlines()
    later = tmp_path / "later.csv"  # the reported gun of S-1 recovered again, and a gun nobody reported
    later.write_text("\n".join([lines[0], lines[1].replace("S-1,2020-06-01", "S-9,2021-02-01"),
                                lines[1].replace("S-1,2020-06-01", "S-10,2021-02-02").replace("ABC123", "NEW999")])
                     + "\n", encoding="utf-8")
    report = run_load(TracesLoader, embedded_store, later,
                      LoadOptions(rejects_dir=tmp_path / "rejects", after_load=after_load))
    assert report.details["recoveries_reported_stolen"] == 1  # this load's recoveries: S-9 only
    flags = {r["key"]: (r["reported_stolen"], r["stolen_report_id"]) for r in
             embedded_store.node_table("Recovery", ("reported_stolen", "stolen_report_id")).to_pylist()}
    assert flags["S-9"] == (True, "R-1") and flags["S-10"] == (None, None)
    assert flags["S-1"] == (True, "R-1") and flags["S-2"] == (True, "R-2")  # the earlier load's, untouched
    found = hits(embedded_store)
    assert set(zip(found["trace_id"], found["report_id"], strict=True)) == {("S-1", "R-1"), ("S-2", "R-2"),
                                                                             ("S-9", "R-1")}


def test_a_trace_run_s_hits_by_its_recoveries_keys_are_the_scan_s(embedded_store: EmbeddedStore,
                                                                  tmp_path: Path) -> None:
    """After a traces load the check reads the run's own recoveries by key (``Loader.recoveries``): the same rows
    as the scan of every recovery's run id, also after the file is loaded again and after a later run took some
    of its recoveries (a key the run wrote but another run wrote since is not the run's)."""
    load(embedded_store, "stolen", tmp_path)
    seen: list[tuple[str, str, list[str] | None]] = []

    def spying(store: Any, kind: str, run_id: str, recoveries: list[str] | None = None) -> dict[str, Any]:
        seen.append((kind, run_id, recoveries))
        return after_load(store, kind, run_id, recoveries)

    def check() -> None:
        kind, run, written = seen[-1]
        assert kind == "traces" and written
        by_key, scanned = hits(embedded_store, [run], written), hits(embedded_store, [run])
        assert not scanned.empty
        pd.testing.assert_frame_equal(by_key, scanned)

    run_load(TracesLoader, embedded_store, DATA / "traces.csv",
             LoadOptions(rejects_dir=tmp_path / "rejects", after_load=spying))
    check()
    first = seen[-1]
    run_load(TracesLoader, embedded_store, DATA / "traces.csv",
             LoadOptions(rejects_dir=tmp_path / "rejects", after_load=spying))
    check()
    lines = (DATA / "traces.csv").read_text(encoding="utf-8").splitlines()
    later = tmp_path / "later.csv"  # S-1 loaded again by another file: its recovery is that run's now
    later.write_text("\n".join([lines[0], lines[1]]) + "\n", encoding="utf-8")
    run_load(TracesLoader, embedded_store, later, LoadOptions(rejects_dir=tmp_path / "rejects", after_load=spying))
    check()
    _kind, run, written = first
    pd.testing.assert_frame_equal(hits(embedded_store, [run], written), hits(embedded_store, [run]))
    assert "S-1" not in set(hits(embedded_store, [run], written)["trace_id"])
