"""One contract, every store: what the loaders, algorithms and API rely on."""

from __future__ import annotations

import datetime as dt
import time

import pandas as pd
import pyarrow as pa
import pytest

from graph.errors import InvalidInput
from graph.schema import SCHEMA
from graph.store import GraphStore, one_unit


def dealers(n: int, start: int = 0, **extra: object) -> list[dict[str, object]]:
    return [{"dealer_key": f"1-54-{i:05d}", "business_name": f"Shop {i}", **extra} for i in range(start, start + n)]


def test_init_is_idempotent_and_counts_cover_every_label_and_type(store: GraphStore) -> None:
    store.init_schema()
    counts = store.counts()
    assert counts["nodes"] == {label: 0 for label in SCHEMA.labels}
    assert counts["relationships"] == {rel: 0 for rel in SCHEMA.rel_types}


def test_upsert_creates_then_changes_nothing_on_repeat(store: GraphStore) -> None:
    first = store.upsert_nodes("Dealer", dealers(5))
    assert (first.created, first.updated) == (5, 0)
    before = store.counts()
    again = store.upsert_nodes("Dealer", dealers(5))
    assert (again.created, again.updated) == (0, 5)
    assert store.counts() == before
    names = store.node_table("Dealer", ("business_name",)).to_pylist()
    assert sorted(r["business_name"] for r in names) == [f"Shop {i}" for i in range(5)]


def test_date_added_marks_when_the_graph_learned_each_version(store: GraphStore) -> None:
    def stamps() -> dict[str, dt.datetime]:
        return {r["key"]: r["date_added"] for r in store.node_table("Dealer", ("date_added",)).to_pylist()}

    before = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=1)
    store.upsert_nodes("Dealer", dealers(3, load_run_id="run-1"))
    first = stamps()
    assert all(before < stamp for stamp in first.values()) and all(s.microsecond % 1000 == 0 for s in first.values())
    store.upsert_nodes("Dealer", dealers(3, load_run_id="run-2"))  # a re-load: same content, another run
    assert stamps() == first
    time.sleep(0.01)  # stamps have millisecond resolution
    store.upsert_nodes("Dealer", [{"dealer_key": "1-54-00001", "business_name": "Renamed", "load_run_id": "run-3"},
                                  {"dealer_key": "1-54-00009", "business_name": "New"}])
    later = stamps()
    assert later["1-54-00001"] > first["1-54-00001"] and later["1-54-00000"] == first["1-54-00000"]
    assert later["1-54-00009"] > first["1-54-00000"]


def test_null_never_erases_and_new_values_update(store: GraphStore) -> None:
    store.upsert_nodes("Dealer", [{"dealer_key": "1-54-00001", "business_name": "Old", "premise_state": "VA"}])
    store.upsert_nodes("Dealer", [{"dealer_key": "1-54-00001", "business_name": "New", "premise_state": None}])
    row = store.node_table("Dealer", ("business_name", "premise_state")).to_pylist()
    assert row == [{"key": "1-54-00001", "business_name": "New", "premise_state": "VA"}]


def test_duplicates_in_one_batch_fold_last_non_null_wins(store: GraphStore) -> None:
    rows = [
        {"person_key": "p1", "last_name": "SMITH", "dob": None},
        {"person_key": "p1", "last_name": None, "dob": dt.date(1990, 5, 1)},
        {"person_key": "p1", "last_name": "SMYTH", "dob": None},
    ]
    summary = store.upsert_nodes("Person", rows)
    assert summary.rows == 1
    assert store.node_table("Person", ("last_name", "dob")).to_pylist() == [
        {"key": "p1", "last_name": "SMYTH", "dob": dt.date(1990, 5, 1)}]


@pytest.mark.parametrize("shape", ["arrow", "pandas", "pandas_strings", "dicts"])
def test_accepts_arrow_pandas_and_dicts(store: GraphStore, shape: str) -> None:
    data = {"firearm_key": ["f1", "f2"], "serial_number": ["A1", None], "obliterated": [False, True]}
    rows: object
    if shape == "arrow":
        rows = pa.table(data)
    elif shape == "pandas":
        rows = pd.DataFrame(data)
    elif shape == "pandas_strings":  # pandas 3 string dtype must not reach the store as '<NA>'
        rows = pd.DataFrame(data).astype({"firearm_key": "string", "serial_number": "string"})
    else:
        rows = [dict(zip(data, values, strict=True)) for values in zip(*data.values(), strict=True)]
    store.upsert_nodes("Firearm", rows)  # type: ignore[arg-type]
    got = sorted(store.node_table("Firearm", ("serial_number", "obliterated")).to_pylist(), key=lambda r: r["key"])
    assert got == [{"key": "f1", "serial_number": "A1", "obliterated": False},
                   {"key": "f2", "serial_number": None, "obliterated": True}]


def test_rejects_rows_the_schema_does_not_allow(store: GraphStore) -> None:
    with pytest.raises(InvalidInput, match="no properties"):
        store.upsert_nodes("Dealer", [{"dealer_key": "x", "shoe_size": 9}])
    with pytest.raises(InvalidInput, match="key"):
        store.upsert_nodes("Dealer", [{"business_name": "no key"}])
    with pytest.raises(InvalidInput, match="null"):
        store.upsert_nodes("Dealer", [{"dealer_key": None, "business_name": "x"}])
    with pytest.raises(InvalidInput, match="INT64"):
        store.upsert_nodes("Recovery", [{"trace_id": "t", "time_to_crime_days": "soon"}])
    with pytest.raises(KeyError):
        store.upsert_nodes("Nope", [{"x": 1}])


def _purchase_graph(store: GraphStore) -> None:
    store.upsert_nodes("Person", [{"person_key": "p1"}, {"person_key": "p2"}])
    store.upsert_nodes("Firearm", [{"firearm_key": "f1"}, {"firearm_key": "f2"}])


def test_relationships_are_keyed_by_endpoints_and_key_properties(store: GraphStore) -> None:
    _purchase_graph(store)
    rows = [
        {"from_key": "p1", "to_key": "f1", "sale_id": "trace:1", "purchase_date": dt.date(2020, 1, 2)},
        {"from_key": "p1", "to_key": "f1", "sale_id": "msr:9", "multiple_sale": True},
        {"from_key": "p2", "to_key": "f2", "sale_id": "trace:2"},
    ]
    first = store.upsert_relationships("PURCHASED", "Person", "Firearm", rows)
    assert (first.created, first.updated) == (3, 0)
    again = store.upsert_relationships("PURCHASED", "Person", "Firearm", rows)
    assert (again.created, again.updated) == (0, 3)
    assert store.counts()["relationships"]["PURCHASED"] == 3
    store.upsert_relationships("PURCHASED", "Person", "Firearm",
                               [{"from_key": "p2", "to_key": "f2", "sale_id": "trace:2", "dealer_key": "1-54-1"}])
    edges = store.edge_list("PURCHASED", "Person", "Firearm", ("sale_id", "dealer_key", "purchase_date"))
    got = sorted(edges.to_pylist(), key=lambda r: r["sale_id"])
    assert got == [
        {"src": "p1", "dst": "f1", "sale_id": "msr:9", "dealer_key": None, "purchase_date": None},
        {"src": "p1", "dst": "f1", "sale_id": "trace:1", "dealer_key": None, "purchase_date": dt.date(2020, 1, 2)},
        {"src": "p2", "dst": "f2", "sale_id": "trace:2", "dealer_key": "1-54-1", "purchase_date": None},
    ]


def test_an_upsert_of_relationships_creates_updates_and_leaves_the_rest(store: GraphStore) -> None:
    """New rows created, named rows updated with nulls never erasing a stored value, rows it does not name (another
    year, another basis) as they were, none doubled, also for rows written earlier in the same transaction."""
    store.upsert_nodes("Location", [{"location_key": k} for k in ("A", "B", "C")])

    def flow(src: str, dst: str, year: int, basis: str = "traces", **values: object) -> dict[str, object]:
        return {"from_key": src, "to_key": dst, "year": year, "basis": basis, "level": "city", **values}

    store.upsert_relationships("FLOW", "Location", "Location", [
        flow("A", "B", 2019, firearms=3, score=1.0, trend="stable", analysis_run_id="full"),
        flow("A", "B", 2020, firearms=4, score=1.5, analysis_run_id="full"),
        flow("A", "B", 2019, "atf_table", firearms=30, analysis_run_id="full"),
        flow("B", "A", 2019, firearms=2, score=0.5, analysis_run_id="full")])
    with one_unit(store):
        store.upsert_relationships("FLOW", "Location", "Location", [flow("C", "A", 2019, firearms=1, z=0.1)])
        summary = store.upsert_relationships("FLOW", "Location", "Location", [
            flow("A", "B", 2019, firearms=5, score=2.0, trend=None),  # trend null: the stored one stays
            flow("B", "A", 2019, firearms=2, score=0.5),                # as stored
            flow("C", "A", 2019, firearms=9),                           # written earlier in this transaction
            flow("A", "C", 2019, firearms=7, score=3.0)])  # new
    assert (summary.created, summary.updated) == (1, 3)
    edges = store.edge_list("FLOW", "Location", "Location",
                            ("year", "basis", "firearms", "score", "z", "trend", "analysis_run_id")).to_pylist()
    assert sorted(edges, key=lambda e: (e["src"], e["dst"], e["year"], e["basis"])) == [
        {"src": "A", "dst": "B", "year": 2019, "basis": "atf_table", "firearms": 30, "score": None, "z": None,
         "trend": None, "analysis_run_id": "full"},
        {"src": "A", "dst": "B", "year": 2019, "basis": "traces", "firearms": 5, "score": 2.0, "z": None,
         "trend": "stable", "analysis_run_id": "full"},
        {"src": "A", "dst": "B", "year": 2020, "basis": "traces", "firearms": 4, "score": 1.5, "z": None,
         "trend": None, "analysis_run_id": "full"},
        {"src": "A", "dst": "C", "year": 2019, "basis": "traces", "firearms": 7, "score": 3.0, "z": None,
         "trend": None, "analysis_run_id": None},
        {"src": "B", "dst": "A", "year": 2019, "basis": "traces", "firearms": 2, "score": 0.5, "z": None,
         "trend": None, "analysis_run_id": "full"},
        {"src": "C", "dst": "A", "year": 2019, "basis": "traces", "firearms": 9, "score": None, "z": 0.1,
         "trend": None, "analysis_run_id": None}]


def test_unkeyed_relationship_is_one_per_pair(store: GraphStore) -> None:
    store.upsert_nodes("Firearm", [{"firearm_key": "f1"}])
    store.upsert_nodes("Recovery", [{"trace_id": "t1"}])
    for _ in range(3):
        store.upsert_relationships("RECOVERED_IN", "Firearm", "Recovery", [{"from_key": "f1", "to_key": "t1"}] * 2)
    assert store.counts()["relationships"]["RECOVERED_IN"] == 1


def test_relationship_type_with_several_endpoint_pairs(store: GraphStore) -> None:
    store.upsert_nodes("Dealer", dealers(1))
    store.upsert_nodes("Recovery", [{"trace_id": "t1"}])
    store.upsert_nodes("Location", [{"location_key": "zip:23220", "kind": "zip"}])
    store.upsert_relationships("AT", "Dealer", "Location", [{"from_key": "1-54-00000", "to_key": "zip:23220",
                                                             "precision": "zip"}])
    store.upsert_relationships("AT", "Recovery", "Location", [{"from_key": "t1", "to_key": "zip:23220"}])
    assert store.counts()["relationships"]["AT"] == 2
    assert store.edge_list("AT", "Recovery", "Location").to_pylist() == [{"src": "t1", "dst": "zip:23220"}]


def test_edge_lists_and_node_tables_come_out_in_key_order(store: GraphStore) -> None:
    """Community detection and every tie broken by position depend on the order rows arrive in: both stores hand
    them out sorted (keys, then properties), whatever order they were written in."""
    persons = [f"p{i}" for i in (7, 3, 9, 1, 5)]
    store.upsert_nodes("Person", [{"person_key": p} for p in persons])
    store.upsert_nodes("Firearm", [{"firearm_key": f"f{i}"} for i in (4, 2, 8)])
    store.upsert_relationships("PURCHASED", "Person", "Firearm", [
        {"from_key": "p9", "to_key": "f2", "sale_id": "s2"}, {"from_key": "p1", "to_key": "f8", "sale_id": "s9"},
        {"from_key": "p9", "to_key": "f2", "sale_id": "s1"}, {"from_key": "p3", "to_key": "f4", "sale_id": "s5"},
        {"from_key": "p1", "to_key": "f4", "sale_id": "s3"}])
    assert store.node_table("Person").column("key").to_pylist() == sorted(persons)
    edges = store.edge_list("PURCHASED", "Person", "Firearm", ("sale_id",)).to_pylist()
    assert [(e["src"], e["dst"], e["sale_id"]) for e in edges] == [
        ("p1", "f4", "s3"), ("p1", "f8", "s9"), ("p3", "f4", "s5"), ("p9", "f2", "s1"), ("p9", "f2", "s2")]


def test_relationship_errors_are_clear(store: GraphStore) -> None:
    _purchase_graph(store)
    with pytest.raises(InvalidInput, match=r"do not exist|does not exist|endpoint"):
        store.upsert_relationships("PURCHASED", "Person", "Firearm",
                                   [{"from_key": "ghost", "to_key": "f1", "sale_id": "s"}])
    with pytest.raises(InvalidInput, match="does not join"):
        store.upsert_relationships("PURCHASED", "Firearm", "Person", [{"from_key": "f1", "to_key": "p1",
                                                                        "sale_id": "s"}])
    with pytest.raises(InvalidInput, match="sale_id"):
        store.upsert_relationships("PURCHASED", "Person", "Firearm", [{"from_key": "p1", "to_key": "f1"}])
    assert store.counts()["relationships"]["PURCHASED"] == 0


@pytest.mark.parametrize(("existing", "batch"), [(2_000, 50), (50, 2_000)], ids=["probe", "scan"])
def test_large_batches_mix_new_and_existing(store: GraphStore, existing: int, batch: int) -> None:
    store.upsert_nodes("Dealer", dealers(existing))
    overlap = min(existing, batch) // 2
    summary = store.upsert_nodes("Dealer", dealers(batch, start=existing - overlap, premise_state="NY"))
    assert (summary.created, summary.updated) == (batch - overlap, overlap)
    assert store.counts()["nodes"]["Dealer"] == existing + batch - overlap
    states = store.node_table("Dealer", ("premise_state",)).to_pandas()
    assert (states["premise_state"] == "NY").sum() == batch


def test_named_query_with_parameters(store: GraphStore) -> None:
    store.upsert_nodes("LoadRun", [
        {"run_id": "r1", "kind": "traces", "started_at": dt.datetime(2026, 1, 1, 12), "read": 10},
        {"run_id": "r2", "kind": "ffl", "started_at": dt.datetime(2026, 1, 2, 12), "read": 5},
    ])
    result = store.query("load_runs", {"limit": 1})
    assert [r["run_id"] for r in result.rows()] == ["r2"]
    assert list(result.df()["kind"]) == ["ffl"]
    assert result.arrow().num_rows == 1
