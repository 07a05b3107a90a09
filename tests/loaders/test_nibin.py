"""``loaders/nibin.py``: NIBIN leads join recoveries the store already holds; a lead naming a recovery it does not
hold is rejected with the reason, never half-written. (NIBIN leads are law-enforcement sensitive: no public
record-level file exists, so the file is written for the tests; see tests/data/PROVENANCE.md.)"""

from __future__ import annotations

import csv
from pathlib import Path

from loader_helpers import FIXTURES

from graph.embedded_store import EmbeddedStore
from loaders.base import LoadOptions, LoadReport, run_load
from loaders.nibin import NibinLoader
from loaders.traces import TracesLoader

LEADS = FIXTURES / "nibin_leads.csv"


def _load(store: EmbeddedStore, tmp_path: Path) -> LoadReport:
    report = run_load(NibinLoader, store, LEADS, LoadOptions(rejects_dir=tmp_path / "rejects"))
    assert report.read == report.loaded + report.rejected + report.skipped
    return report


def _reasons(report: LoadReport) -> list[tuple[str, str]]:
    assert report.rejects_file is not None
    with open(report.rejects_file, encoding="utf-8", newline="") as handle:
        return [(row["lead_id"], row["reason"]) for row in csv.DictReader(handle)]


def test_leads_before_their_traces_are_all_rejected_with_reasons(embedded_store: EmbeddedStore,
                                                                 tmp_path: Path) -> None:
    report = _load(embedded_store, tmp_path)
    assert (report.read, report.loaded, report.rejected) == (5, 0, 5)
    assert _reasons(report) == [("L-1", "trace_id_a names an unknown trace"),
                                ("L-2", "trace_id_a names an unknown trace"),
                                ("L-3", "trace_id_a names an unknown trace"),
                                ("L-1", "duplicate lead_id in file"),
                                ("L-4", "trace_id_a names an unknown trace")]
    assert embedded_store.counts()["relationships"]["NIBIN_LINK"] == 0


def test_leads_after_their_traces_link_recoveries_once(embedded_store: EmbeddedStore, tmp_path: Path) -> None:
    run_load(TracesLoader, embedded_store, FIXTURES / "traces_malformed.csv",
             LoadOptions(rejects_dir=tmp_path / "rejects"))
    report = _load(embedded_store, tmp_path)
    assert (report.read, report.loaded, report.rejected) == (5, 2, 3)
    again = _load(embedded_store, tmp_path)
    assert (again.run_id, again.loaded, again.rejected) == (report.run_id, 2, 3)
    links = embedded_store.edge_list("NIBIN_LINK", "Recovery", "Recovery", ("status",)).to_pylist()
    assert sorted((x["src"], x["dst"], x["status"]) for x in links) == [("T-100", "T-101", "CONFIRMED"),
                                                                      ("T-102", "T-103", "UNCONFIRMED")]
    runs = embedded_store.node_table("LoadRun", ("kind", "read", "loaded", "rejected")).to_pylist()
    assert {"key": report.run_id, "kind": "nibin", "read": 5, "loaded": 2, "rejected": 3} in runs
