"""``loaders/inspections.py`` on the real 2015-2017 ATF inspection reports (The Trace / USA Today): the counts a
user sees, the policy context of every inspection and the zero-tolerance categories of the violations cited."""

from __future__ import annotations

import csv
import json
import os
from collections import Counter
from pathlib import Path

from loader_helpers import FIXTURES

from graph.embedded_store import EmbeddedStore
from loaders.base import LoadOptions, LoadReport, run_load
from loaders.domain.policy import POLICY_END, POLICY_START
from loaders.inspections import InspectionsLoader
from tests.cli_run import tracegraph

REPORTS = FIXTURES / "atf_inspections_2015_2017_excerpt.ndjson"


def _load(store: EmbeddedStore, tmp_path: Path) -> LoadReport:
    return run_load(InspectionsLoader, store, REPORTS, LoadOptions(rejects_dir=tmp_path / "rejects"))


def test_forty_reports_load_and_the_source_note_is_rejected_with_its_line(embedded_store: EmbeddedStore,
                                                                           tmp_path: Path) -> None:
    report = _load(embedded_store, tmp_path)
    assert (report.read, report.loaded, report.rejected, report.skipped) == (41, 40, 1, 0)
    assert report.rejects_file is not None
    with open(report.rejects_file, encoding="utf-8", newline="") as handle:
        [note] = list(csv.DictReader(handle))
    assert (note["line"], note["reason"]) == ("41", "missing license_number")
    assert note["ui_number"].startswith("Source: Bureau of Alcohol, Tobacco, Firearms and Explosives")
    counts = embedded_store.counts()
    assert counts["nodes"]["Inspection"] == counts["relationships"]["INSPECTED"] == 40
    assert counts["nodes"]["Dealer"] == 40  # each report names its licensee; no list was loaded
    assert counts["nodes"]["Violation"] == counts["relationships"]["CITED"] == 192


def test_outcomes_policy_context_and_zero_tolerance_categories(embedded_store: EmbeddedStore,
                                                               tmp_path: Path) -> None:
    _load(embedded_store, tmp_path)
    inspections = embedded_store.node_table("Inspection", ("outcome", "zero_tolerance_period", "policy_context")
                                            ).to_pylist()
    assert Counter(i["outcome"] for i in inspections) == {"Warning Letter": 37, "Warning Conference": 2,
                                                          "License Revoked": 1}
    # every report is from 2015-2017: before the zero-tolerance policy (2021-07-01 to its 2025-04-07 repeal)
    assert (POLICY_START.isoformat(), POLICY_END.isoformat()) == ("2021-07-01", "2025-04-07")
    assert {i["zero_tolerance_period"] for i in inspections} == {False}
    assert {i["policy_context"] for i in inspections} == {"before zero-tolerance policy (2021-07-01)"}
    violations = embedded_store.node_table("Violation", ("cfr_code", "zero_tolerance_category")).to_pylist()
    categories = Counter(v["zero_tolerance_category"] for v in violations if v["zero_tolerance_category"])
    assert categories == {"no_background_check": 8, "prohibited_transfer": 3, "falsified_records": 1}
    assert {v["cfr_code"] for v in violations if v["zero_tolerance_category"] == "no_background_check"} >= {
        "478.102(a)"}


def test_reloading_the_reports_changes_nothing(embedded_store: EmbeddedStore, tmp_path: Path) -> None:
    first = _load(embedded_store, tmp_path)
    before = embedded_store.counts()
    again = _load(embedded_store, tmp_path)
    assert again.run_id == first.run_id and (again.read, again.loaded, again.rejected) == (41, 40, 1)
    assert embedded_store.counts() == before


def test_a_report_loaded_again_with_fewer_violations_loses_the_ones_it_no_longer_lists(
        embedded_store: EmbeddedStore, tmp_path: Path) -> None:
    """The first real report cites 478.21(a), 478.102(a) and 478.103(a); a corrected version without 478.102(a)
    leaves two citations, and the dropped violation is gone (not left as a node nobody cites)."""
    _load(embedded_store, tmp_path)
    lines = REPORTS.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    assert first["violations"] == "478.21(a), 478.102(a), 478.103(a)"
    first["violations"] = "478.21(a), 478.103(a)"
    corrected = tmp_path / "corrected.ndjson"
    corrected.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n", encoding="utf-8")
    report = run_load(InspectionsLoader, embedded_store, corrected, LoadOptions(rejects_dir=tmp_path / "rejects"))
    assert report.details["corrected"] == 1
    cited = embedded_store.edge_list("CITED", "Inspection", "Violation").to_pylist()
    assert sorted(c["dst"] for c in cited if c["src"] == first["ui_number"]) == [
        f"{first['ui_number']}:478.103(a)", f"{first['ui_number']}:478.21(a)"]
    counts = embedded_store.counts()
    assert counts["nodes"]["Violation"] == counts["relationships"]["CITED"] == 191


def test_cli_prints_the_counts_and_where_the_rejects_are(tmp_path: Path) -> None:
    db = tmp_path / "g.lbug"  # the commands in this process (tests/cli_run): the printed lines are the point
    assert tracegraph("--db", db, "init").returncode == 0
    result = tracegraph("--db", db, "load", "inspections", REPORTS, "--rejects-dir", tmp_path / "rejects",
                        env={**os.environ, "COLUMNS": "400"})  # rich wraps (and splits paths) at 80 columns
    assert result.returncode == 0, result.stderr
    printed = result.stdout
    assert "atf_inspections_2015_2017_excerpt.ndjson: read 41, loaded 40, rejected 1" in printed
    assert str(tmp_path / "rejects" / "atf_inspections_2015_2017_excerpt.inspections.rejects.csv") in printed


def test_a_short_license_number_stubs_only_a_dealer_the_store_lacks(embedded_store: EmbeddedStore,
                                                                    tmp_path: Path) -> None:
    _load(embedded_store, tmp_path)  # 40 dealers, among them 1-56-059-01-6F-21093
    later = tmp_path / "later.ndjson"
    rows = [{"ui_number": "LATER-1", "ffl_number": "1-56-21093", "inspection_complete_date": "2017-03-01",
             "final_disposition": "Warning letter"},
            {"ui_number": "LATER-2", "ffl_number": "9-99-12345", "inspection_complete_date": "2017-03-02",
             "final_disposition": "Warning letter"}]
    later.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    report = run_load(InspectionsLoader, embedded_store, later, LoadOptions(rejects_dir=tmp_path / "rejects"))
    assert (report.loaded, report.rejected) == (2, 0)
    dealers = {d["key"]: d for d in embedded_store.node_table("Dealer", ("status", "license_number")).to_pylist()}
    assert len(dealers) == 41  # one stub: the dealer the store lacked
    assert (dealers["9-99-12345"]["status"], dealers["9-99-12345"]["license_number"]) == ("UNLISTED", None)
    assert dealers["1-56-21093"]["license_number"] == "1-56-059-01-6F-21093"  # the known one kept its record
