"""Helpers for the corrected multiple-sale, NIBIN and lost/stolen record tests on both stores
(tests/loaders/test_record_corrections.py, tests/neo4j/test_record_corrections_neo4j.py): a row of each kind and what
a store holds of one record."""

from __future__ import annotations

from graph.store import GraphStore
from tests.trace_corrections_support import write_rows

__all__ = ["MSR_FIELDS", "NIBIN_FIELDS", "STOLEN_FIELDS", "msr_row", "sale_of", "stolen_of", "write_rows"]

MSR_FIELDS = ["report_id", "form", "dealer_ffl", "sale_date", "purchaser_last_name", "purchaser_first_name",
              "purchaser_dob", "purchaser_street", "purchaser_city", "purchaser_state", "purchaser_zip",
              "serial_number", "manufacturer", "model", "caliber", "weapon_type"]
NIBIN_FIELDS = ["lead_id", "trace_id_a", "trace_id_b", "lead_date", "status"]
STOLEN_FIELDS = ["report_id", "reported_date", "reporter", "serial_number", "manufacturer", "model", "caliber",
                 "weapon_type", "country"]


def msr_row(**changes: str) -> dict[str, str]:
    """Report MS-9: one pistol (GLOCK|MS9|PISTOL) sold to John Smith by dealer 1-54-20000."""
    row = {"report_id": "MS-9", "form": "3310.4", "dealer_ffl": "1-54-107-01-5A-20000", "sale_date": "2019-01-10",
           "purchaser_last_name": "SMITH", "purchaser_first_name": "JOHN", "purchaser_dob": "1980-05-01",
           "purchaser_street": "10 Oak St", "purchaser_city": "Richmond", "purchaser_state": "VA",
           "purchaser_zip": "23221", "serial_number": "MS9", "manufacturer": "GLOCK", "model": "19",
           "caliber": "9MM", "weapon_type": "PISTOL"}
    return {**row, **changes}


def sale_of(store: GraphStore, report_id: str) -> dict[str, list[str]]:
    """The purchasers (last names) and the selling dealers of the guns of one multiple-sale report."""
    purchases = store.edge_list("PURCHASED", "Person", "Firearm", ("report_id", "source")).to_pylist()
    mine = [p for p in purchases if p["report_id"] == report_id and p["source"] == "multiple_sales"]
    guns = {p["dst"] for p in mine}
    names = {p["key"]: str(p["last_name"]).strip().upper()
             for p in store.node_table("Person", ("last_name",)).to_pylist()}
    sold = store.edge_list("SOLD", "Dealer", "Firearm").to_pylist()
    return {"purchasers": sorted(names[p["src"]] for p in mine),
            "dealers": sorted(s["src"] for s in sold if s["dst"] in guns)}


def stolen_of(store: GraphStore, report_id: str) -> dict[str, list[str]]:
    """The guns a lost/stolen report names and its dealer reporters."""
    named = store.edge_list("REPORTED_STOLEN", "Firearm", "TheftReport").to_pylist()
    reported = store.edge_list("REPORTED", "Dealer", "TheftReport").to_pylist()
    return {"guns": sorted(e["src"] for e in named if e["dst"] == report_id),
            "reporters": sorted(e["src"] for e in reported if e["dst"] == report_id)}
