"""A trace record loaded again with other facts replaces its earlier version: the earlier purchaser, possessor and
recovery places do not stay beside the new ones, the load says how many records it corrected, and the next
analysis is a full one (a correction can take a person out of a straw group, which the incremental run cannot
see). A record loaded again with the same facts, or with facts only added, is not a correction."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
from loader_helpers import FIXTURES

from algorithms.analyze import analyze, write_back
from algorithms.runs import NeedsFullAnalysis, new_load_runs
from graph.embedded_store import EmbeddedStore
from loaders.base import LoadReport

FILE = "traces_malformed.csv"


def _rows() -> tuple[list[str], dict[str, dict[str, str]]]:
    with (FIXTURES / FILE).open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows: dict[str, dict[str, str]] = {}
        for row in reader:  # the first of each trace_id (the file repeats one, to be rejected)
            rows.setdefault(row["trace_id"], row)
        return list(reader.fieldnames or []), rows


def _write(path: Path, fields: list[str], *rows: dict[str, str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _record(store: EmbeddedStore, trace_id: str) -> dict[str, object]:
    purchases = store.edge_list("PURCHASED", "Person", "Firearm", ("sale_id", "purchase_date")).to_pylist()
    held = store.edge_list("POSSESSED_BY", "Recovery", "Person").to_pylist()
    at = store.edge_list("AT", "Recovery", "Location").to_pylist()
    persons = {p["key"]: p["last_name"] for p in store.node_table("Person", ("last_name",)).to_pylist()}
    name = {key: str(last).strip().upper() for key, last in persons.items()}
    return {"purchasers": sorted(name[p["src"]] for p in purchases if p["sale_id"] == f"trace:{trace_id}"),
            "possessors": sorted(name[h["dst"]] for h in held if h["src"] == trace_id),
            "places": sorted(a["dst"] for a in at if a["src"] == trace_id)}


def test_a_corrected_record_replaces_its_purchaser_possessor_and_places(
        load: Callable[..., LoadReport], embedded_store: EmbeddedStore, tmp_path: Path) -> None:
    load("traces", FILE)
    write_back(embedded_store, analyze(embedded_store))
    fields, rows = _rows()
    before = _record(embedded_store, "T-100")
    assert before == {"purchasers": ["SMITH"], "possessors": ["DOE"],
                      "places": ["city:US-VA:RICHMOND", "zip:23220"]}, before

    same = load("traces", _write(tmp_path / "same.csv", fields, rows["T-100"]))
    assert "corrected" not in same.details
    assert _record(embedded_store, "T-100") == before
    new_load_runs(embedded_store)  # nothing corrected: an incremental run may take it

    fixed = {**rows["T-100"], "purchaser_last_name": "JONES", "possessor_last_name": "ROE",
             "recovery_city": "Norfolk", "recovery_zip": "23510", "purchase_date": "01/03/2019"}
    report = load("traces", _write(tmp_path / "fixed.csv", fields, fixed))
    assert report.details["corrected"] == 1
    assert _record(embedded_store, "T-100") == {"purchasers": ["JONES"], "possessors": ["ROE"],
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
    fields, rows = _rows()
    pending = {**rows["T-100"], **{f"purchaser_{f}": "" for f in ("last_name", "first_name", "middle_name", "dob",
                                                                     "street", "city", "state", "zip")},
               "trace_status": "INCOMPLETE"}
    load("traces", _write(tmp_path / "pending.csv", fields, pending))
    assert _record(embedded_store, "T-100")["purchasers"] == []
    report = load("traces", _write(tmp_path / "done.csv", fields, rows["T-100"]))
    assert "corrected" not in report.details
    assert _record(embedded_store, "T-100")["purchasers"] == ["SMITH"]
