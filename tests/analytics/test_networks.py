"""Rings that hide, and the networks an analyst is shown: built record by record, judged as an analyst would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from algorithms import straw, straw_features
from algorithms.analyze import _networks
from algorithms.tables import load_tables
from graph.embedded_store import EmbeddedStore
from tests.analytics.conftest import D, build_world


@pytest.fixture
def hidden_store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    """The conftest world plus a ring that never shares a counter, a day or an address: three straws buy at the
    same Georgia dealer weeks apart, one gun each recovered in New York within months from three different
    people. Nothing but where their guns came from and went ties them."""
    w = build_world()
    for key in ("hide1", "hide2", "hide3", "gang1", "gang2", "gang3"):
        w.person(key)
    for i, (straw_key, gang) in enumerate((("hide1", "gang1"), ("hide2", "gang2"), ("hide3", "gang3"))):
        for j in range(2):
            w.gun(straw_key, "GA1", D(2021, 2 + 2 * i, 5 + j), recovered=D(2021, 7 + i, 10 + j), possessor=gang)
    store = EmbeddedStore(tmp_path / "hidden.lbug")
    store.init_schema()
    w.write(store)
    yield store
    store.close()


def analysed(store: EmbeddedStore) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    features = straw_features.compute(load_tables(store))
    scores = straw.score(features).table
    networks, membership, _ = _networks(features.pairs, scores, seed=0, resolution=0.1)
    return networks, membership, features.pairs


def test_a_ring_that_never_meets_is_tied_by_its_supply_line(hidden_store: EmbeddedStore) -> None:
    networks, membership, pairs = analysed(hidden_store)
    line = pairs[pairs["kind"] == "supply_line"]
    tied = {frozenset(p) for p in zip(line["a"], line["b"], strict=True)}
    assert {frozenset({"hide1", "hide2"}), frozenset({"hide2", "hide3"}), frozenset({"hide1", "hide3"})} <= tied
    assert membership["hide1"] == membership["hide2"] == membership["hide3"]
    ring = networks.set_index("network_id").loc[membership["hide1"]]
    assert ring["reviewable"] and ring["review_rank"] >= 1
    assert "supply line" in ring["reason"] and ring["suspects"] >= 2
    # the ring holds its straws and the people their guns were recovered from, no one else
    assert set(ring["members"]) == {"hide1", "hide2", "hide3", "gang1", "gang2", "gang3"}


def test_a_buyer_and_the_one_person_his_gun_was_found_with_is_not_a_network_to_review(
        hidden_store: EmbeddedStore) -> None:
    networks, membership, _ = analysed(hidden_store)
    pair = networks.set_index("network_id").loc[membership["buyer2"]]
    assert pair["size"] == 2 and not pair["reviewable"] and pair["review_rank"] == 0
    assert pair["reason"].startswith("below the evidence rule")
    reviewable = networks[networks["reviewable"]]
    assert list(reviewable["review_rank"]) == list(range(1, len(reviewable) + 1))
    assert list(reviewable["score"]) == sorted(reviewable["score"], reverse=True)
    # the full partition is still there: everyone tied to anyone has a network
    assert {"buyer2", "finder2", "theft", "burglar"} <= set(membership.index)


def test_the_theft_victims_stolen_guns_do_not_make_a_ring(hidden_store: EmbeddedStore) -> None:
    networks, membership, _ = analysed(hidden_store)
    theft = networks.set_index("network_id").loc[membership["theft"]]
    assert not theft["reviewable"]
