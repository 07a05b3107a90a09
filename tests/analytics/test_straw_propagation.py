"""Network propagation in the straw score: a partner's own evidence flows, the tie itself is counted once."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from algorithms import straw
from algorithms.straw_features import PersonFeatures

COLUMNS = list(dict.fromkeys(["guns_purchased", "guns_recovered", "recovered_from_self", "as_possessor",
                               "recovery_cluster_30d", "recovered_span_days", "reported_stolen_guns", "recovery_cities",
                               *(ind.column for ind in straw.INDICATORS)]))


def features(people: dict[str, dict[str, int]], ties: list[tuple[str, str, str, float]]) -> PersonFeatures:
    values = pd.DataFrame(0, index=pd.Index(list(people), name="person_key"), columns=COLUMNS)
    for person, facts in people.items():
        values.loc[person, "guns_purchased"] = 1
        for column, value in facts.items():
            values.loc[person, column] = value
    pairs = pd.DataFrame(ties, columns=["a", "b", "kind", "weight"]).assign(specificity=1.0)
    return PersonFeatures(values=values, purchases=pd.DataFrame(), pairs=pairs)


def test_two_buyers_whose_guns_reached_one_possessor_do_not_lift_each_other() -> None:
    # each has a gun recovered from the same possessor: one common-possessor point each, nothing else
    pair = features({"ann": {"common_possessor_partners": 1}, "bob": {"common_possessor_partners": 1}},
                    [("ann", "bob", "common_possessor", 1.5)])
    table = straw.score(pair).table.set_index("person_key")
    assert table.at["ann", "points"] == pytest.approx(1.2)
    assert table.at["ann", "propagation"] == 0.0  # bob's only points are the tie to ann itself
    assert "network" not in {item["indicator"] for item in json.loads(table.at["ann", "indicators"])}


def test_a_ring_partner_with_his_own_evidence_still_lifts_a_one_gun_straw() -> None:
    ring = features({"straw": {"short_ttc_1y_other": 1, "joint_purchase_partners": 1},
                     "mate": {"short_ttc_1y_other": 3, "out_of_state_recoveries": 3, "joint_purchase_partners": 1},
                     "loner": {"short_ttc_1y_other": 1}},
                    [("mate", "straw", "joint_purchase", 1.0), ("mate", "straw", "supply_line", 1.0)])
    table = straw.score(ring).table.set_index("person_key")
    # mate's own points: 6 (short TTC, capped) + 2.4 (out of state); his joint-purchase point does not flow
    assert table.at["straw", "propagation"] == pytest.approx(min(0.25 * 1.0 * 8.4, straw.PROPAGATION_CAP))
    assert table.at["straw", "rank"] < table.at["loner", "rank"]


def test_a_common_possessor_counts_once_as_the_indicator_and_carries_no_partner_evidence() -> None:
    """Two buyers whose guns reached one criminal: each gets the common-possessor indicator, neither is lifted by
    the other's recoveries along that tie (it says where the guns went, not what the buyers did); the same
    partner tied by a supply line does lift."""
    people = {"buyer": {"short_ttc_1y_other": 1, "common_possessor_partners": 1},
              "other": {"short_ttc_1y_other": 3, "out_of_state_recoveries": 3, "common_possessor_partners": 1}}
    table = straw.score(features(people, [("buyer", "other", "common_possessor", 1.5)])).table.set_index(
        "person_key")
    assert table.at["buyer", "points"] == pytest.approx(2.0 + 1.2)
    assert table.at["buyer", "propagation"] == 0.0 and table.at["other", "propagation"] == 0.0
    lined = straw.score(features(people, [("buyer", "other", "common_possessor", 1.5),
                                          ("buyer", "other", "supply_line", 1.0)])).table.set_index("person_key")
    assert lined.at["buyer", "propagation"] == pytest.approx(0.25 * 8.4)


def test_tie_points_read_back_from_the_indicators_list_are_the_same_numbers() -> None:
    """The incremental analysis reads partners' tie points back from the stored indicators lists."""
    world = features({"a": {"common_possessor_partners": 3, "joint_purchase_partners": 1, "short_ttc_1y_other": 1},
                      "b": {"shared_address_partners": 1}, "c": {"short_ttc_3y_other": 2}},
                     [("a", "b", "shared_address", 1.0), ("a", "c", "joint_purchase", 1.0)])
    table = straw.score(world).table.set_index("person_key")
    read_back = straw.tie_points_from_indicators(table["indicators"])
    assert read_back.to_dict() == {"a": 3.6 + 1.0, "b": 0.5, "c": 0.0}


def test_tie_points_read_from_the_lists_as_written_equal_the_lists_parsed() -> None:
    """Stored lists are read by their items' text where they are written as :func:`straw.score` writes them, and
    parsed otherwise (keys in another order, a null or NaN, a name twice): the same numbers either way."""
    items = [
        [{"indicator": "joint_purchase", "value": 2, "points": 2.0},
         {"indicator": "network", "value": 1, "points": 0.3}],
        [{"indicator": "common_possessor", "value": 3, "points": 3.5999999999999996},
         {"indicator": "shared_address", "value": 1, "points": 0.5}],
        [{"indicator": "shared_address", "value": 1, "points": None}, {"indicator": "joint_purchase", "value": 1,
                                                                        "points": float("nan")}],
        [{"indicator": "joint_purchase", "value": 1, "points": 1.0}, {"indicator": "joint_purchase", "value": 2,
                                                                       "points": 2.0}],
        [{"indicator": "short_ttc_1y", "value": 1, "points": 2.0}],
        [],
    ]
    texts = [json.dumps(entry, sort_keys=True) for entry in items] + [json.dumps(items[1]), None]
    lists = pd.Series(texts, index=[f"p{i}" for i in range(len(texts))], dtype=object)
    parsed = pd.DataFrame([{item["indicator"]: item["points"] for item in json.loads(text or "[]")
                            if item["indicator"] in straw.TIE_INDICATORS} for text in texts],
                          index=lists.index, columns=list(straw.TIE_INDICATORS)).fillna(0.0)
    got = straw.tie_points_from_indicators(lists)
    assert got.equals(straw.tie_points(parsed))
    assert got.tolist() == [2.0, 3.6 + 0.5, 0.0, 2.0, 0.0, 0.0, 3.6 + 0.5, 0.0]


def test_a_collector_who_bought_on_a_ring_s_dealer_day_is_not_lifted_by_the_ring() -> None:
    collector = {"guns_purchased": 40, "guns_recovered": 1, "multiple_sale_reports": 10, "repeat_model_max": 4,
                 "purchase_burst_30d": 6, "joint_purchase_partners": 2}
    world = features({"collector": collector,
                      "straw1": {"short_ttc_1y_other": 3, "out_of_state_recoveries": 3, "joint_purchase_partners": 1},
                      "straw2": {"short_ttc_1y_other": 3, "out_of_state_recoveries": 2, "joint_purchase_partners": 1},
                      "straw3": {"short_ttc_1y_other": 1}},
                     [("collector", "straw1", "joint_purchase", 1.0), ("collector", "straw2", "joint_purchase", 1.0)])
    table = straw.score(world).table.set_index("person_key")
    assert "collector_pattern" in table.at["collector", "indicators"]
    assert table.at["collector", "propagation"] == 0.0
    assert table.at["collector", "score"] == table.at["collector", "points"]
    # the same ties still lift a purchaser whose record the pattern does not explain
    world.values.loc["collector", "guns_purchased"] = 5
    assert straw.score(world).table.set_index("person_key").at["collector", "propagation"] > 0


def test_a_ring_straw_outranks_a_buyer_whose_two_guns_turned_up_in_two_distant_cities() -> None:
    """Where a gun was recovered counts once per gun (out of state, far away), not again per city: a one-gun straw
    whose ring's evidence reaches the network cap ranks above an ordinary buyer of two guns recovered out of state
    in two cities, as it did not while the number of recovery cities was an indicator of its own."""
    mate = {"short_ttc_1y_other": 1, "out_of_state_recoveries": 1, "far_recoveries": 1, "recovery_cities": 1}
    people = {"straw": dict(mate), **{f"mate{i}": dict(mate) for i in range(5)},
              "buyer": {"guns_purchased": 2, "guns_recovered": 2, "short_ttc_1y_other": 2,
                        "out_of_state_recoveries": 2, "far_recoveries": 2, "recovery_cities": 2}}
    ties = [("straw", f"mate{i}", "supply_line", 1.0) for i in range(5)]
    table = straw.score(features(people, ties)).table.set_index("person_key")
    assert table.at["straw", "propagation"] == pytest.approx(straw.PROPAGATION_CAP)
    assert table.at["buyer", "points"] == pytest.approx(4.0 + 1.6 + 0.8)
    assert "dispersed" not in table.at["buyer", "indicators"]
    assert table.at["straw", "rank"] < table.at["buyer", "rank"]
