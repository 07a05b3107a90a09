"""A dealer's moved premises, an inspection naming another dealer, a corrected multiple-sale row, NIBIN lead and
lost/stolen report on a real Neo4j: the loaders replace each record's earlier places, dealer, purchaser, link, guns,
reporter and stolen flags there as on the embedded store (cypher/dealer_*, inspection_*, sale_*, nibin_*,
theft_*.cypher)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from algorithms.stolen_hits import after_load
from graph.embedded_store import EmbeddedStore
from graph.store import GraphStore
from loaders.base import LoadOptions, run_load
from loaders.kinds import loader_for
from loaders.traces import TracesLoader
from tests.neo4j_support import Neo4jServer
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

pytestmark = pytest.mark.neo4j
REPORTS, FIRST_REPORT = "atf_inspections_2015_2017_excerpt.ndjson", "763050-2015-0402-B1B"


def _files(folder: Path) -> list[tuple[str, Path]]:
    """Each kind's record, then the same record with other facts."""
    def lead(name: str, b: str) -> Path:
        return write_rows(folder / name, NIBIN_FIELDS, {"lead_id": "L-9", "trace_id_a": "T-100", "trace_id_b": b,
                                                        "lead_date": "2020-04-01", "status": "CONFIRMED"})

    def report(name: str, reporter: str, *serials: str) -> Path:
        return write_rows(folder / name, STOLEN_FIELDS, *[{
            "report_id": "R-9", "reported_date": "2019-06-01", "reporter": reporter, "serial_number": serial,
            "manufacturer": "S&W", "model": "M&P9", "caliber": "9MM", "weapon_type": "PISTOL", "country": "US"}
            for serial in serials])

    fixed_sale = msr_row(purchaser_last_name="JONES", dealer_ffl="1-54-107-01-5A-20001")
    other_make = {**fixed_sale, "manufacturer": "RUGER"}  # another gun key: found through the purchaser
    moved = (FIXTURES / "0225-ffl-list-va-excerpt.txt").read_text(encoding="utf-8").replace(
        "1 NEW PREMISES RD\tALDIE\tVA\t20105", "1 NEW PREMISES RD\tRICHMOND\tVA\t23219")
    (folder / "0225-ffl-list-va-excerpt.txt").write_text(moved, encoding="utf-8")
    inspections = (FIXTURES / "inspections.csv").read_text(encoding="utf-8")
    reports = (FIXTURES / REPORTS).read_text(encoding="utf-8")  # the real reports: the first loses 478.102(a)
    (folder / REPORTS).write_text(reports.replace('"478.21(a), 478.102(a), 478.103(a)"', '"478.21(a), 478.103(a)"', 1),
                                  encoding="utf-8")
    (folder / "inspections.csv").write_text(inspections.replace("I-2,1-54-107-07-6B-20001",
                                                                "I-2,1-54-107-01-5A-20000"), encoding="utf-8")
    return [("ffl", FIXTURES / "0125-ffl-list-va-excerpt.txt"), ("ffl", folder / "0225-ffl-list-va-excerpt.txt"),
            ("inspections", FIXTURES / "inspections.csv"), ("inspections", folder / "inspections.csv"),
            ("inspections", FIXTURES / REPORTS), ("inspections", folder / REPORTS),
            ("multiple-sales", write_rows(folder / "sale.csv", MSR_FIELDS, msr_row())),
            ("multiple-sales", write_rows(folder / "sale-fixed.csv", MSR_FIELDS, fixed_sale)),
            ("multiple-sales", write_rows(folder / "sale-make.csv", MSR_FIELDS, other_make)),
            ("nibin", lead("lead.csv", "T-101")), ("nibin", lead("lead-fixed.csv", "T-103")),
            ("stolen", report("theft.csv", "1-54-107-01-5A-20000", "ABC123", "QQ1")),
            ("stolen", report("theft-fixed.csv", "1-54-107-01-5A-20001", "QQ1", "QQ2"))]


def _held(store: GraphStore) -> dict[str, Any]:
    links = store.edge_list("NIBIN_LINK", "Recovery", "Recovery", ("lead_id",)).to_pylist()
    flagged = store.node_table("Recovery", ("reported_stolen",)).to_pylist()
    at = store.edge_list("AT", "Dealer", "Location").to_pylist()
    inspected = store.edge_list("INSPECTED", "Dealer", "Inspection").to_pylist()
    bought = store.edge_list("PURCHASED", "Person", "Firearm", ("report_id",)).to_pylist()
    sold = store.edge_list("SOLD", "Dealer", "Firearm").to_pylist()
    cited = store.edge_list("CITED", "Inspection", "Violation").to_pylist()
    return {"sale": sale_of(store, "MS-9"), "theft": stolen_of(store, "R-9"),
            "cited_first_report": sorted(e["dst"] for e in cited if e["src"] == FIRST_REPORT),
            "violations": store.counts()["nodes"]["Violation"],
            "sale_guns": sorted(e["dst"] for e in bought if e["report_id"] == "MS-9"),
            "sold_ms9": sorted(e["dst"] for e in sold if "|MS9|" in e["dst"]),
            "premises": sorted(a["dst"] for a in at if a["src"] == "1-54-20002"),
            "inspected": sorted(e["src"] for e in inspected if e["dst"] == "I-2"),
            "lead": sorted((e["src"], e["dst"]) for e in links if e["lead_id"] == "L-9"),
            "flagged": sorted(r["key"] for r in flagged if r["reported_stolen"])}


def test_corrected_records_are_replaced_the_same_on_both_stores(neo4j_server: Neo4jServer, tmp_path: Path) -> None:
    files = _files(tmp_path)
    results = {}
    with EmbeddedStore(tmp_path / "e.lbug") as embedded, neo4j_server.store() as neo:
        for name, store in (("embedded", embedded), ("neo4j", neo)):
            if name == "embedded":
                store.init_schema()
            options = LoadOptions(rejects_dir=tmp_path / f"rejects-{name}", after_load=after_load)
            run_load(TracesLoader, store, FIXTURES / FILE, options)
            corrected = [run_load(loader_for(kind), store, path, options).details.get("corrected")
                         for kind, path in files]
            results[name] = (corrected, _held(store))
    assert results["embedded"] == results["neo4j"]
    assert results["neo4j"] == ([None, 1, None, 1, None, 1, None, 1, 1, None, 1, None, 1], {
        "cited_first_report": [f"{FIRST_REPORT}:478.103(a)", f"{FIRST_REPORT}:478.21(a)"], "violations": 191,
        "sale": {"purchasers": ["JONES"], "dealers": ["1-54-20001"]},
        "sale_guns": ["RUGER|MS9|PISTOL"], "sold_ms9": ["RUGER|MS9|PISTOL"],
        "premises": ["city:US-VA:RICHMOND", "zip:23219"], "inspected": ["1-54-20000"],
        "theft": {"guns": ["SMITH & WESSON|QQ1|PISTOL", "SMITH & WESSON|QQ2|PISTOL"], "reporters": ["1-54-20001"]},
        "lead": [("T-100", "T-103")], "flagged": []})
