"""A small trace world built record by record, where each person is a known pattern."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from algorithms import straw_member_index
from graph import side_table
from graph.embedded_store import EmbeddedStore
from tests.worlds import History, analysed_history, copy_store

D = dt.date


class World:
    """Accumulates dealers, guns, purchases and recoveries, then writes them through the store API."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.rels: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        self._gun = 0

    def node(self, label: str, **props: Any) -> None:
        self.rows.setdefault(label, []).append(props)

    def rel(self, rel: str, src: str, dst: str, a: str, b: str, **props: Any) -> None:
        self.rels.setdefault((rel, src, dst), []).append({"from_key": a, "to_key": b, **props})

    def dealer(self, key: str, state: str, lat: float, lon: float) -> None:
        self.node("Dealer", dealer_key=key, license_number=key, premise_state=state, lat=lat, lon=lon,
                  business_name=f"Shop {key}")

    def person(self, key: str, street: str | None = None, zip_code: str | None = None) -> None:
        self.node("Person", person_key=key, last_name=key.upper(), first_name="X", street=street, zip=zip_code)

    def gun(self, buyer: str, dealer: str, bought: dt.date, *, recovered: dt.date | None = None,
            state: str = "NY", city: str = "NEW YORK", lat: float = 40.7, lon: float = -74.0,
            possessor: str | None = None, model: str = "G19", report: str | None = None) -> str:
        self._gun += 1
        key = f"F{self._gun}"
        self.node("Firearm", firearm_key=key, manufacturer_normalized="GLOCK", model=model, caliber="9MM",
                  weapon_type="PISTOL")
        self.rel("SOLD", "Dealer", "Firearm", dealer, key, sale_date=bought)
        self.rel("PURCHASED", "Person", "Firearm", buyer, key, sale_id=f"sale:{key}", purchase_date=bought,
                 dealer_key=dealer, multiple_sale=report is not None, report_id=report)
        if recovered is not None:
            trace = f"T{self._gun}"
            self.node("Recovery", trace_id=trace, recovery_date=recovered, recovery_state=state,
                      recovery_city=city, lat=lat, lon=lon, time_to_crime_days=(recovered - bought).days,
                      recovery_country="US")
            self.rel("RECOVERED_IN", "Firearm", "Recovery", key, trace)
            if possessor:
                self.rel("POSSESSED_BY", "Recovery", "Person", trace, possessor)
        return key

    def write(self, store: EmbeddedStore) -> None:
        for label, rows in self.rows.items():
            store.upsert_nodes(label, rows)
        for (rel, src, dst), rows in self.rels.items():
            store.upsert_relationships(rel, src, dst, rows)


def build_world() -> World:
    w = World()
    w.dealer("GA1", "GA", 33.7, -84.4)
    w.dealer("NY1", "NY", 40.7, -74.0)
    for key in ("straw", "partner", "lonely", "own", "theft", "collector",
                "buyer1", "buyer2", "buyer3", "buyer4"):
        w.person(key)
    for key in ("thug1", "thug2", "thug3", "burglar", "finder1", "finder2", "finder3"):
        w.person(key)
    # A straw purchaser: three pistols on one day in Georgia, recovered in New York within months from others.
    for i, thug in enumerate(("thug1", "thug2", "thug3")):
        w.gun("straw", "GA1", D(2020, 1, 10), recovered=D(2020, 4 + i, 1), possessor=thug, report="MS-1")
    # Her partner buys the same day at the same dealer (a joint purchase) but leaves only a multiple-sale report.
    w.gun("partner", "GA1", D(2020, 1, 10), report="MS-2")
    w.gun("partner", "GA1", D(2020, 1, 10), report="MS-2")
    # Someone alone with the same kind of record and no links.
    w.gun("lonely", "GA1", D(2020, 6, 1), report="MS-3")
    w.gun("lonely", "GA1", D(2020, 6, 1), report="MS-3")
    # Found with his own gun a few months after buying it: personal use.
    w.gun("own", "NY1", D(2021, 1, 1), recovered=D(2021, 3, 1), possessor="own")
    # A theft victim: three guns bought years apart, recovered together in one city after a burglary.
    for year in (2014, 2016, 2018):
        w.gun("theft", "GA1", D(year, 5, 1), recovered=D(2019, 2, 1 + year - 2014), possessor="burglar",
              state="FL", city="MIAMI", lat=25.8, lon=-80.2)
    # A collector: many purchases over the years, one recovered long after.
    for i in range(10):
        w.gun("collector", "GA1", D(2010 + i, 3, 1), model=f"M{i}", report=f"MS-C{i}" if i % 3 == 0 else None)
    w.gun("collector", "GA1", D(2008, 1, 1), recovered=D(2021, 1, 1), possessor="finder1")
    # Ordinary buyers: guns recovered years later, some from others.
    for i, buyer in enumerate(("buyer1", "buyer2", "buyer3", "buyer4")):
        w.gun(buyer, "NY1", D(2012, 1 + i, 1), recovered=D(2019 + i % 2, 6, 1),
              possessor=("finder2", "finder3")[i // 2] if i % 2 else None)
    return w


@pytest.fixture
def world_store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    store = EmbeddedStore(tmp_path / "world.lbug")
    store.init_schema()
    build_world().write(store)
    yield store
    store.close()


# the analysed history and a copy with its side table and membership index, as the full analysis leaves them
# (tests/analytics/test_member_index.py, test_member_groups.py; a module's own fixture of the same name wins)
@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    return analysed_history(tmp_path_factory, "small", 3, batches=3, batch_traces=100)


@pytest.fixture
def store(history: History, tmp_path: Path) -> Iterator[EmbeddedStore]:
    """A copy of the analysed history with its side table and membership index, as the full analysis leaves them."""
    with EmbeddedStore(copy_store(history.db, tmp_path / "db.lbug")) as opened:
        side_table.rewrite(opened)
        assert straw_member_index.write(opened)
        yield opened
