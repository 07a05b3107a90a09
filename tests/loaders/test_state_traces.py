"""``loaders/state_traces.py`` on ATF's own published tables: every firearm of the table becomes a FLOW, the
totals ATF printed are checked and skipped, and places the table cannot name are rejected with the line."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
from loader_helpers import FIXTURES

from graph.embedded_store import EmbeddedStore
from loaders.base import LoadOptions, LoadReport, run_load
from loaders.state_traces import StateTracesLoader

ATF_2016 = FIXTURES / "final_source_recovery_by_state-cy_2016.xlsx"
SANDYHOOK_2011 = Path(__file__).parents[1] / "data" / "publicdata" / "2011tracingdatabystate.csv"


def _load(store: EmbeddedStore, path: Path, tmp_path: Path) -> LoadReport:
    report = run_load(StateTracesLoader, store, path, LoadOptions(rejects_dir=tmp_path / "rejects"))
    assert report.read == report.loaded + report.rejected + report.skipped
    return report


def _atf_grand_total() -> int:
    """The TOTAL row x TOTAL column cell of ATF's sheet, read independently of the loader."""
    rows = list(openpyxl.load_workbook(ATF_2016, read_only=True, data_only=True).active.iter_rows(values_only=True))
    header = next(r for r in rows if r[0] == "Source State")
    total_row = next(r for r in rows if str(r[1]).strip().upper() == "TOTAL")
    return int(total_row[header.index("TOTAL")])


def test_the_2016_table_loads_every_firearm_atf_counted(embedded_store: EmbeddedStore, tmp_path: Path) -> None:
    report = _load(embedded_store, ATF_2016, tmp_path)
    assert (report.read, report.loaded, report.rejected) == (2916, 2916, 0)  # 54 source x 54 recovery places
    assert report.details["total_mismatches"] == [] and report.details["year"] == 2016
    flows = embedded_store.edge_list("FLOW", "Location", "Location", ("year", "firearms", "basis")).to_pylist()
    assert {(f["year"], f["basis"]) for f in flows} == {(2016, "atf_table")}
    assert sum(f["firearms"] for f in flows) == _atf_grand_total() == 211_384
    from_virginia = {f["dst"]: f["firearms"] for f in flows if f["src"] == "state:US-VA"}
    assert sum(from_virginia.values()) == 9112 and from_virginia["state:US-NY"] == 644
    assert embedded_store.counts()["nodes"]["LoadRun"] == 1


def test_a_transcribed_table_rejects_the_other_column_line_by_line(embedded_store: EmbeddedStore,
                                                                   tmp_path: Path) -> None:
    report = _load(embedded_store, SANDYHOOK_2011, tmp_path)
    assert (report.read, report.loaded, report.rejected) == (2550, 2500, 50)
    assert report.details["basis"] == "table:2011tracingdatabystate"  # not ATF's own file: kept apart
    assert report.rejects_file is not None
    with open(report.rejects_file, encoding="utf-8", newline="") as handle:
        rejects = list(csv.DictReader(handle))
    assert {(r["reason"], r["originated-in"]) for r in rejects} == {("unknown source place label", "Other")}
    assert [int(r["line"]) for r in rejects][:3] == [52, 103, 154]  # one per recovery state, with its line
    flows = embedded_store.edge_list("FLOW", "Location", "Location", ("firearms",)).to_pylist()
    assert sum(f["firearms"] for f in flows) == 139_726
    before = embedded_store.counts()
    _load(embedded_store, SANDYHOOK_2011, tmp_path)
    assert embedded_store.counts() == before
