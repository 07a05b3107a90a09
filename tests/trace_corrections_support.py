"""Helpers for the corrected-trace tests on both stores (tests/loaders/test_trace_corrections.py and
tests/neo4j/test_trace_corrections_neo4j.py): the loader fixture's rows, a file of chosen rows, and what a store
holds of one record."""

from __future__ import annotations

import csv
from pathlib import Path

from graph.store import GraphStore

FIXTURES = Path(__file__).resolve().parent / "data" / "loaders"
FILE = "traces_malformed.csv"


def fixture_rows() -> tuple[list[str], dict[str, dict[str, str]]]:
    with (FIXTURES / FILE).open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows: dict[str, dict[str, str]] = {}
        for row in reader:  # the first of each trace_id (the file repeats one, to be rejected)
            rows.setdefault(row["trace_id"], row)
        return list(reader.fieldnames or []), rows


def write_rows(path: Path, fields: list[str], *rows: dict[str, str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def record_of(store: GraphStore, trace_id: str) -> dict[str, object]:
    purchases = store.edge_list("PURCHASED", "Person", "Firearm", ("sale_id", "purchase_date")).to_pylist()
    held = store.edge_list("POSSESSED_BY", "Recovery", "Person").to_pylist()
    at = store.edge_list("AT", "Recovery", "Location").to_pylist()
    persons = {p["key"]: p["last_name"] for p in store.node_table("Person", ("last_name",)).to_pylist()}
    name = {key: str(last).strip().upper() for key, last in persons.items()}
    return {"purchasers": sorted(name[p["src"]] for p in purchases if p["sale_id"] == f"trace:{trace_id}"),
            "possessors": sorted(name[h["dst"]] for h in held if h["src"] == trace_id),
            "places": sorted(a["dst"] for a in at if a["src"] == trace_id)}
