"""Upserts of a relationship type with several pairs of endpoints (IN_STRAW_KEY: Firearm, Recovery or Dealer to
StrawKey), whose stored count the embedded store reads only up to the bound it compares it with."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from graph import embedded_rel_reads
from graph.embedded_reads import binds_sources, count_relationships
from graph.embedded_store import EmbeddedStore
from graph.schema import SCHEMA

GUNS = [f"fa-{i}" for i in range(40)]
KEYS = [f"jp|d{i % 4}|2026-12-0{i % 3 + 1}" for i in range(40)]


def _store(path: Path) -> EmbeddedStore:
    store = EmbeddedStore(path)
    store.init_schema()
    store.upsert_nodes("Firearm", pd.DataFrame({"firearm_key": GUNS}))
    store.upsert_nodes("Dealer", pd.DataFrame({"dealer_key": ["d0", "d1"]}))
    store.upsert_nodes("StrawKey", pd.DataFrame({"straw_key": sorted(set(KEYS))}))
    store.upsert_relationships("IN_STRAW_KEY", "Firearm", "StrawKey",
                               pd.DataFrame({"from_key": GUNS, "to_key": KEYS}))
    store.upsert_relationships("IN_STRAW_KEY", "Dealer", "StrawKey",
                               pd.DataFrame({"from_key": ["d0", "d1"], "to_key": KEYS[:2]}))
    return store


@pytest.mark.parametrize("ratio", [1, 10**9])  # node by node (the count stops at the bound); a join (counted whole)
def test_a_days_keys_sent_again_are_found_and_new_ones_written_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     ratio: int) -> None:
    """A load keys five guns again, two of them under a key they lacked, and two dealers again, one under a new
    key: only those entries are new, every other entry stays as it was, nothing is doubled."""
    monkeypatch.setattr(embedded_rel_reads, "PER_NODE_RATIO", ratio)
    with _store(tmp_path / "keys.lbug") as store:
        again = pd.DataFrame({"from_key": GUNS[:5] + GUNS[:2], "to_key": KEYS[:5] + ["sc|d9"] * 2})
        store.upsert_nodes("StrawKey", pd.DataFrame({"straw_key": ["sc|d9"]}))
        summary = store.upsert_relationships("IN_STRAW_KEY", "Firearm", "StrawKey", again)
        assert (summary.created, summary.updated) == (2, 5)
        stored = store.edge_list("IN_STRAW_KEY", "Firearm", "StrawKey").to_pandas()
        assert len(stored) == 42 and not stored.duplicated().any()
        # a dealer's entries are read from the dealers (the end only their pair has), the other pairs untouched
        dealers = pd.DataFrame({"from_key": ["d0", "d1", "d1"], "to_key": [KEYS[0], KEYS[1], "sc|d9"]})
        summary = store.upsert_relationships("IN_STRAW_KEY", "Dealer", "StrawKey", dealers)
        assert (summary.created, summary.updated) == (1, 2)
        assert len(store.edge_list("IN_STRAW_KEY", "Dealer", "StrawKey")) == 3
        assert len(store.edge_list("IN_STRAW_KEY", "Firearm", "StrawKey")) == 42


def test_the_count_of_a_type_with_several_endpoint_pairs_stops_at_its_bound(tmp_path: Path) -> None:
    """Bounded for IN_STRAW_KEY (the engine scans it to count), exact for a type with one pair of endpoints (it
    answers those from its statistics) and when no bound is asked for; never 0 when rows exist."""
    with _store(tmp_path / "keys.lbug") as store:
        straw = SCHEMA.relationship("IN_STRAW_KEY")
        count = lambda *args: int(store._execute(count_relationships(*args)).scalar())  # noqa: E731
        assert count(straw, "Firearm", "StrawKey", 10) == 10
        assert count(straw, "Firearm", "StrawKey", 0) == 1
        assert count(straw, "Firearm", "StrawKey", None) == 40
        assert count(straw, "Dealer", "StrawKey", 10) == 2
        store.upsert_nodes("Person", pd.DataFrame({"person_key": ["p1"]}))
        store.upsert_relationships("PURCHASED", "Person", "Firearm", pd.DataFrame(
            {"from_key": ["p1"] * 3, "to_key": GUNS[:3], "sale_id": ["s1", "s2", "s3"]}))
        assert count(SCHEMA.relationship("PURCHASED"), "Person", "Firearm", 1) == 3


def test_a_read_before_a_write_starts_from_the_end_its_pair_does_not_share() -> None:
    """IN_STRAW_KEY's StrawKey end is shared by three pairs (its count covers all their keys): a day's keys are
    read from their guns, recoveries or dealers; a type with one pair compares the two labels' counts."""
    counts = {"Dealer": 88_235, "StrawKey": 1_199_920, "Recovery": 992_805, "Firearm": 1_475_830,
              "Person": 1_429_291}.__getitem__
    straw = SCHEMA.relationship("IN_STRAW_KEY")
    assert binds_sources(straw, SCHEMA.node("Dealer"), SCHEMA.node("StrawKey"), counts)
    assert binds_sources(straw, SCHEMA.node("Recovery"), SCHEMA.node("StrawKey"), counts)
    purchased = SCHEMA.relationship("PURCHASED")
    assert not binds_sources(purchased, SCHEMA.node("Person"), SCHEMA.node("Firearm"), counts)
