"""Straw-purchaser scoring as an analyst would judge it: who tops the queue, and why."""

from __future__ import annotations

import json

import pandas as pd

from algorithms import straw, straw_features
from algorithms.tables import load_tables
from graph.embedded_store import EmbeddedStore


def ranked(store: EmbeddedStore) -> pd.DataFrame:
    return straw.score(straw_features.compute(load_tables(store))).table.set_index("person_key")


def fired(table: pd.DataFrame, person: str) -> dict[str, dict[str, object]]:
    return {item["indicator"]: item for item in json.loads(table.at[person, "indicators"])}


def test_straw_purchaser_tops_the_queue_with_explained_indicators(world_store: EmbeddedStore) -> None:
    table = ranked(world_store)
    assert table["rank"].idxmin() == "straw"
    indicators = fired(table, "straw")
    assert indicators["short_ttc_1y"]["value"] == 3
    assert indicators["out_of_state"]["value"] == 3
    assert indicators["multiple_sales"]["value"] == 1
    assert indicators["joint_purchase"]["value"] == 1
    assert sum(float(i["points"]) for i in indicators.values()) == pytest_approx(table.at["straw", "score"])


def pytest_approx(value: float) -> object:
    import pytest

    return pytest.approx(value, abs=0.05)


def test_network_lifts_a_partner_who_left_only_multiple_sale_reports(world_store: EmbeddedStore) -> None:
    table = ranked(world_store)
    assert "network" in fired(table, "partner")
    assert table.at["partner", "score"] > table.at["lonely", "score"]
    assert table.at["partner", "rank"] < table.at["lonely", "rank"]


def test_theft_victims_and_collectors_do_not_crowd_the_queue(world_store: EmbeddedStore) -> None:
    table = ranked(world_store)
    assert "theft_pattern" in fired(table, "theft")
    assert "collector_pattern" in fired(table, "collector")
    assert table.at["theft", "score"] < table.at["straw", "score"] / 3
    assert table.at["collector", "score"] < table.at["lonely", "score"]
    assert table.at["own", "score"] < table.at["lonely", "score"] + 1


def test_scores_are_deterministic(world_store: EmbeddedStore) -> None:
    first, second = ranked(world_store), ranked(world_store)
    pd.testing.assert_frame_equal(first, second)


def test_features_count_purchases_once_across_records(world_store: EmbeddedStore) -> None:
    tables = load_tables(world_store)
    # the same purchase reported twice (trace and multiple-sale report) is one purchase
    extra = tables.purchases.iloc[[0]].assign(sale_id="msr:dup")
    doubled = type(tables)(**{**tables.__dict__, "purchases": pd.concat([tables.purchases, extra])})
    assert straw_features.compute(doubled).values.at[extra["src"].iloc[0], "guns_purchased"] == \
        straw_features.compute(tables).values.at[extra["src"].iloc[0], "guns_purchased"]
