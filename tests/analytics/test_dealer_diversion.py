"""A big dealer that sells off the books hides in its volume; the traces that stop at its counter give it away."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from algorithms import batches as serial_batches
from algorithms import dealers
from algorithms.tables import load_tables
from graph.embedded_store import EmbeddedStore
from tests.analytics.conftest import D, World


class DealerWorld(World):
    """Traces only: each gun sold by a dealer and recovered; some traces stop at the dealer (no purchaser)."""

    def traced(self, dealer: str, sold: D, recovered: D, *, stopped: bool = False, serial: str | None = None,
               reported: bool = False) -> str:
        self._gun += 1
        key = f"F{self._gun}"
        self.node("Firearm", firearm_key=key, manufacturer_normalized="GLOCK", model="G19" if serial else
                  f"M{self._gun % 7}", caliber="9MM", weapon_type="PISTOL", serial_normalized=serial or f"S{key}")
        self.rel("SOLD", "Dealer", "Firearm", dealer, key, sale_date=None if stopped else sold)
        trace = f"T{self._gun}"
        self.node("Recovery", trace_id=trace, recovery_date=recovered, recovery_state="NY", recovery_city="NEW YORK",
                  lat=40.7, lon=-74.0, recovery_country="US",
                  time_to_crime_days=None if stopped else (recovered - sold).days,
                  trace_status="INCOMPLETE" if stopped else "COMPLETED")
        self.rel("RECOVERED_IN", "Firearm", "Recovery", key, trace)
        if reported:
            self.node("TheftReport", report_id=f"R{key}", reported_date=D(2019, 1, 1), reporter_kind="dealer")
            self.rel("REPORTED_STOLEN", "Firearm", "TheftReport", key, f"R{key}")
        return key


def volume(w: DealerWorld, dealer: str, n: int) -> None:
    """``n`` ordinary traces: half recovered within three years of sale, half later; one in ten stops at the
    dealer (the national share of incomplete traces is about that)."""
    for i in range(n):
        sold = D(2010 + i % 10, 1 + i % 12, 1)
        w.traced(dealer, sold, D(2022, 6, 1) if i % 2 else D(sold.year + 1, 6, 1), stopped=i % 10 == 9)


@pytest.fixture
def dealer_store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    w = DealerWorld()
    for key in ["ZED", "LOSS", "LOT", *[f"PEER{i}" for i in range(12)]]:
        w.dealer(key, "GA", 33.7, -84.4)
    for i in range(12):
        volume(w, f"PEER{i}", 60)
    # the corrupt one (its key sorts last, so it cannot win a tie): as busy as its peers, plus 14 guns sold off
    # the books whose traces stop at the counter
    volume(w, "ZED", 60)
    for i in range(14):
        w.traced("ZED", D(2021, 1, 1), D(2021, 3 + i % 9, 1), stopped=True)
    # a dealer burgled: as many traces stop there, but a theft report names every one of the guns
    volume(w, "LOSS", 60)
    for i in range(14):
        w.traced("LOSS", D(2021, 1, 1), D(2021, 3 + i % 9, 1), stopped=True, reported=True)
    # a shipment stolen in one lot: 14 consecutive serials stop at the dealer (one event, not fourteen)
    volume(w, "LOT", 60)
    for i in range(14):
        w.traced("LOT", D(2021, 1, 1), D(2021, 3 + i % 9, 1), stopped=True, serial=f"ABX{40100 + i}")
    store = EmbeddedStore(tmp_path / "dealers.lbug")
    store.init_schema()
    w.write(store)
    yield store
    store.close()


def scored(store: EmbeddedStore) -> pd.DataFrame:
    tables = load_tables(store)
    found = [b for b in serial_batches.batches(tables) if b.score >= serial_batches.SIGNIFICANT]
    return dealers.score(tables, batches=found).table.set_index("dealer_key")


def test_a_busy_dealer_whose_traces_stop_at_the_counter_ranks_first_with_the_reason(
        dealer_store: EmbeddedStore) -> None:
    table = scored(dealer_store)
    big = table.loc["ZED"]
    assert big["rank"] == 1
    assert big["stopped"] == 20 and big["stopped_expected"] < 10
    fired = {item["indicator"]: item for item in json.loads(big["indicators"])}
    assert fired["traces_stop_at_dealer"]["value"] == 20
    assert fired["traces_stop_at_dealer"]["points"] > 0
    # its volume alone does not set it apart from the burgled dealer or the one that lost a lot
    assert big["volume_score"] == table.loc["LOSS", "volume_score"] == table.loc["LOT", "volume_score"]
    assert big["score"] > max(table.loc["LOSS", "score"], table.loc["LOT", "score"]) + 0.2


def test_traces_explained_by_a_theft_report_or_one_stolen_lot_do_not_make_a_diverting_dealer(
        dealer_store: EmbeddedStore) -> None:
    table = scored(dealer_store)
    assert table.loc["LOSS", "stopped"] == 6  # only its ordinary incomplete traces; the reported guns are explained
    assert table.loc["LOT", "stopped"] == 7   # its six ordinary ones plus the lot, counted once
    for key in ("LOSS", "LOT"):
        assert table.loc[key, "diversion_score"] <= 0
        assert "traces_stop_at_dealer" not in table.loc[key, "indicators"]
        assert table.loc[key, "rank"] > table.loc["ZED", "rank"]


def test_a_dealer_whose_excess_traces_all_name_a_purchaser_ranks_below_one_whose_traces_stop(
        tmp_path: Path) -> None:
    """Two small dealers with the same excess of recent traces and no old ones: the one where every trace names a
    purchaser (straws buying there: the purchasers are the lead) ranks below the one where half stop at the
    counter, and off the anomaly list (score <= 0); with no trace status anywhere, diversion is not scored."""
    w = DealerWorld()
    for key in ["PAPER", "STOPS", *[f"PEER{i}" for i in range(12)]]:
        w.dealer(key, "GA", 33.7, -84.4)
    for i in range(12):
        volume(w, f"PEER{i}", 60)
    for i in range(8):
        w.traced("PAPER", D(2021, 1, 1 + i), D(2021, 6, 1 + i))
        w.traced("STOPS", D(2021, 1, 1 + i), D(2021, 6, 1 + i), stopped=i % 2 == 0)
    store = EmbeddedStore(tmp_path / "small.lbug")
    store.init_schema()
    w.write(store)
    try:
        table = scored(store)
    finally:
        store.close()
    assert table.loc["PAPER", "volume_score"] > 0 and table.loc["STOPS", "volume_score"] > 0
    assert table.loc["STOPS", "rank"] == 1 and table.loc["STOPS", "score"] > 0
    assert table.loc["PAPER", "score"] <= 0 < table.loc["PAPER", "volume_score"]
    assert table.loc["PAPER", "rank"] > table.loc["STOPS", "rank"]


def test_without_any_stopped_trace_the_diversion_is_not_scored(tmp_path: Path) -> None:
    w = DealerWorld()
    for key in ["BUSY", *[f"PEER{i}" for i in range(6)]]:
        w.dealer(key, "GA", 33.7, -84.4)
    for i in range(6):
        for j in range(20):
            w.traced(f"PEER{i}", D(2012 + j % 8, 1, 1), D(2022, 6, 1))
    for j in range(12):
        w.traced("BUSY", D(2021, 1, 1 + j), D(2021, 6, 1 + j))
    store = EmbeddedStore(tmp_path / "nostatus.lbug")
    store.init_schema()
    w.write(store)
    try:
        tables = load_tables(store)
        result = dealers.score(tables)
    finally:
        store.close()
    table = result.table.set_index("dealer_key")
    assert result.parameters["diversion_observable"] is False
    assert (table["diversion_score"] == 0).all()
    assert (table["score"] == table["volume_score"]).all()
    assert table.loc["BUSY", "rank"] == 1 and table.loc["BUSY", "score"] > 0
