"""The straw lookup keys (loaders/straw_keys.py, issue 21): an incremental run finds the candidates of a dealer-day,
a dealer's multiple-sale counter and a city's groups by the group's own key instead of walking every sale of the
dealer or every recovery in the city. Exactness needs every member of every group among its candidates: on a store
keyed as it was loaded, after a record is loaded again with other facts, after a retention purge; and the migration
keys an older store as its loads would have."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from algorithms import retention, straw_features
from algorithms.straw_neighbourhood import Neighbourhood, memberships
from algorithms.tables import load_tables
from api.cli.demo import LOADS
from api.services.analysis import full_analysis
from graph.embedded_store import EmbeddedStore
from loaders.base import LoadOptions, run_load
from loaders.domain.straw_keys import marked
from loaders.kinds import loader_for
from loaders.straw_keys import index_all
from loaders.synthetic.stream import BATCH_KINDS, Stream
from tests.worlds import built_value, copy_store, copy_store_whole, streamed_history

KINDS = ("jp", "sc", "sl", "co", "rt")  # the groups read by key
SCANS = {"straw_day_buyers", "straw_counter_buyers", "straw_city_buyers"}  # what the keys replace


@pytest.fixture
def loaded(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Iterator[tuple[EmbeddedStore, Stream]]:
    """The small streamed world's history and its first two batches, loaded (as the daily loads write them)."""
    history = streamed_history(tmp_path_factory, "small", 3, batches=3, batch_traces=100)

    def load_two_days(folder: Path) -> None:  # once a session; each test writes to a copy of its own
        with EmbeddedStore(copy_store(history.db, folder / "db.lbug")) as store:
            for batch in history.stream.batches[:2]:
                for kind, name in BATCH_KINDS:
                    run_load(loader_for(kind), store, batch / name, LoadOptions(rejects_dir=folder / "rejects"))

    folder, _ = built_value(tmp_path_factory, "streamed small 3 3 100, two days loaded", load_two_days)
    store = EmbeddedStore(copy_store_whole(folder / "db.lbug", tmp_path / "db.lbug"))
    yield store, history.stream
    store.close()


def _missed(store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Every membership of the keyed kinds over the whole tables, and those the keyed lookup did not find."""
    t = load_tables(store)
    events, recovered = straw_features.purchase_and_recovery_events(t)
    every = memberships(t, events, recovered)
    every = every[every["group"].str[:2].isin(KINDS).to_numpy()].reset_index(drop=True)
    asked: list[str] = []
    query = store.query

    def spy(name: str, params: dict[str, object] | None = None) -> object:
        asked.append(name)
        return query(name, params)

    monkeypatch.setattr(store, "query", spy)
    hood = Neighbourhood(store, store.node_table("Dealer", ("premise_state", "lat", "lon")).to_pandas(),
                         keyed=marked(store))
    hood.members = every
    hood._lookup(set(every["group"]))
    monkeypatch.undo()
    assert hood.keyed and "straw_keyed_buyers" in asked and not SCANS & set(asked)
    found = set(zip(hood.candidates["group"], hood.candidates["person_key"], strict=True))
    return every, [m for m in zip(every["group"], every["person_key"], strict=True) if m not in found]


def test_every_member_of_a_group_is_among_its_keyed_candidates(
        loaded: tuple[EmbeddedStore, Stream], monkeypatch: pytest.MonkeyPatch) -> None:
    store, _ = loaded
    every, missed = _missed(store, monkeypatch)
    kinds = every["group"].str[:2].value_counts()
    assert (kinds.reindex(list(KINDS)) > 20).all(), kinds  # every kind is exercised
    assert missed == []


def test_a_record_loaded_again_with_other_facts_keeps_every_member_found(
        loaded: tuple[EmbeddedStore, Stream], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A trace loaded again under its own id with another purchase date, dealer and time-to-crime moves its
    purchaser to other groups: the load keys the gun again, so the new groups find them (the old keys stay, naming
    a candidate too many)."""
    store, stream = loaded
    traces = pd.read_csv(stream.batches[0] / "traces.csv", dtype=str, keep_default_na=False)
    again = traces.head(40).copy()
    again["purchase_date"] = (pd.to_datetime(again["purchase_date"]) - pd.Timedelta(days=45)).dt.strftime("%Y-%m-%d")
    again["dealer_ffl"] = again["dealer_ffl"].to_numpy()[::-1]  # another dealer of the world for most rows
    (tmp_path / "again").mkdir()
    again.to_csv(tmp_path / "again" / "traces.csv", index=False)
    before = store.edge_list("IN_STRAW_KEY", "Firearm", "StrawKey").num_rows
    assert run_load(loader_for("traces"), store, tmp_path / "again" / "traces.csv",
                    LoadOptions(rejects_dir=tmp_path / "rejects")).loaded == 40
    assert store.edge_list("IN_STRAW_KEY", "Firearm", "StrawKey").num_rows > before
    assert _missed(store, monkeypatch)[1] == []


def test_after_a_retention_purge_every_member_is_still_found(
        loaded: tuple[EmbeddedStore, Stream], monkeypatch: pytest.MonkeyPatch) -> None:
    """A purge deletes persons (their purchase records go with them) and moves multiple-sale records to stand-ins
    unchanged: a gun's dealers, days, reports and recoveries stay, so its keys stay true."""
    store, _ = loaded
    done = retention.apply(store, dt.date(2045, 1, 1))
    assert done.persons and len(done.sales)
    assert _missed(store, monkeypatch)[1] == []


def test_the_migration_keys_an_older_store_as_its_loads_did(
        loaded: tuple[EmbeddedStore, Stream], monkeypatch: pytest.MonkeyPatch) -> None:
    """A store loaded before the keys existed is not read by key (the incremental run scans as before) until
    ``tracegraph init`` keys it; the migration writes the keys the loads write."""
    store, _ = loaded
    pairs = (("Firearm", "StrawKey"), ("Recovery", "StrawKey"), ("Dealer", "StrawKey"))

    def keys() -> list[set[tuple[str, str]]]:
        return [set(zip(*store.edge_list("IN_STRAW_KEY", a, b).to_pandas()[["src", "dst"]].to_numpy().T.tolist(),
                        strict=True)) for a, b in pairs]

    loaded_keys = keys()
    assert all(loaded_keys) and marked(store)
    store._execute("MATCH (g:StrawKey) DETACH DELETE g")
    assert not marked(store)
    assert index_all(store) == sum(len(k) for k in loaded_keys)
    assert marked(store) and keys() == loaded_keys and index_all(store) == 0
    assert _missed(store, monkeypatch)[1] == []


def _unkeyed(store: EmbeddedStore) -> list[str]:
    return sorted(store.query("firearms_unkeyed").df()["key"])


def test_after_the_history_and_each_daily_batch_every_purchased_gun_is_keyed(
        tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The loads key every gun they write: after the history's load (in batches smaller than its files, as a
    national history's 250k-row batches are) and after each daily batch, no purchased gun is under no key and every
    member of every keyed group is among its candidates."""
    history = streamed_history(tmp_path_factory, "small", 3, batches=3, batch_traces=100)
    store = EmbeddedStore(tmp_path / "db.lbug")
    try:
        store.init_schema()
        options = LoadOptions(rejects_dir=tmp_path / "rejects", batch_rows=700)
        for kind, name in LOADS:
            run_load(loader_for(kind), store, history.stream.history / name, options)
        assert marked(store) and _unkeyed(store) == []
        assert _missed(store, monkeypatch)[1] == []
        for batch in history.stream.batches:
            for kind, name in BATCH_KINDS:
                run_load(loader_for(kind), store, batch / name, options)
            assert _unkeyed(store) == []
            assert _missed(store, monkeypatch)[1] == []
    finally:
        store.close()


@pytest.mark.parametrize("how", ["migration", "full analysis"])
def test_guns_a_load_left_unkeyed_are_keyed_again(
        loaded: tuple[EmbeddedStore, Stream], monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    """A marked store whose history's load left a week of multiple-sale guns under no key (the national history
    built on 2026-12-06: 1,258 guns, docs/performance.md, keys23) misses members of their counters' groups; the
    migration (``tracegraph init``) and the weekly full analysis key those guns again, as their load would have."""
    store, _ = loaded
    every_key = store.edge_list("IN_STRAW_KEY", "Firearm", "StrawKey").to_pandas()[["src", "dst"]]
    days = store._execute("MATCH (:Person)-[r:PURCHASED]->(f:Firearm) WHERE r.multiple_sale "
                          "RETURN f.firearm_key AS gun, r.purchase_date AS day").df()
    middle = days["day"].sort_values().iloc[len(days) // 2]
    week = sorted(set(days.loc[(days["day"] >= middle) & (days["day"] < middle + pd.Timedelta(days=60)), "gun"]))
    assert len(week) > 20
    store._execute("UNWIND $keys AS k MATCH (f:Firearm {firearm_key: k})-[e:IN_STRAW_KEY]->(:StrawKey) DELETE e",
                   {"keys": week})
    assert marked(store) and _unkeyed(store) == week
    assert _missed(store, monkeypatch)[1] != []  # the incremental closure would not find them
    if how == "migration":
        assert index_all(store) > 0
    else:
        full_analysis(store)
    assert _unkeyed(store) == [] and index_all(store) == 0
    again = store.edge_list("IN_STRAW_KEY", "Firearm", "StrawKey").to_pandas()[["src", "dst"]]
    assert sorted(map(tuple, again.to_numpy().tolist())) == sorted(map(tuple, every_key.to_numpy().tolist()))
    assert _missed(store, monkeypatch)[1] == []


def _sales(path: Path, first: int, count: int) -> Path:
    """``count`` multiple-sale records, two guns a report, of 40 buyers at 30 dealers."""
    n = range(first, first + count)
    pd.DataFrame({
        "report_id": [f"MS-{i // 2:07d}" for i in n], "form": "3310.4",
        "dealer_ffl": [f"9-93-005-01-5E-{10000 + (i // 2) % 30:05d}" for i in n],
        "sale_date": [(dt.date(2023, 1, 1) + dt.timedelta(days=(i // 2) % 300)).isoformat() for i in n],
        "purchaser_last_name": [f"BUYER{(i // 2) % 40}" for i in n], "purchaser_first_name": "ANN",
        "purchaser_dob": "1980-01-01", "purchaser_street": "1 MAIN ST", "purchaser_city": "SALEM",
        "purchaser_state": "OR", "purchaser_zip": "97301",
        "serial_number": [f"SN{i:08d}" for i in n], "manufacturer": "GLOCK", "model": "17", "caliber": "9MM",
        "weapon_type": "PISTOL"}).to_csv(path, index=False)
    return path


def test_a_batch_adding_thousands_of_guns_across_a_node_group_boundary_keys_them_all(tmp_path: Path) -> None:
    """The national history's load left 1,258 multiple-sale guns under no key: the keying read a batch's purchase
    records inside the batch's transaction with an OPTIONAL MATCH, and LadybugDB 0.22 returned nothing there for
    the guns a batch written through the log added to the end of a node group (131,072 rows), past its first 2,048
    new ones (the history's third multiple-sale batch, 48k rows, ~4,000 new guns across offset 11 x 131,072; here
    5,000 guns after 128,000 others). The keying's statements are plain MATCHes."""
    with EmbeddedStore(tmp_path / "db.lbug") as store:
        store.init_schema()
        store.upsert_nodes("Firearm", pd.DataFrame({"firearm_key": [f"OTHER|{i}|PISTOL" for i in range(128_000)]}))
        report = run_load(loader_for("multiple-sales"), store, _sales(tmp_path / "ms.csv", 0, 5_000),
                          LoadOptions(rejects_dir=tmp_path / "rejects"))
        assert report.loaded == 5_000
        assert _unkeyed(store) == []
        assert store.edge_list("IN_STRAW_KEY", "Firearm", "StrawKey").num_rows == 2 * 5_000  # jp| and sc| each
