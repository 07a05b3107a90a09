"""Ring recovery as the sensitivity study counts it, and why a ring was missed (merged, split or untied)."""

from __future__ import annotations

import pandas as pd

from algorithms.evaluate import ring_metrics


def _world(rings: dict[str, list[str]]) -> tuple[dict, pd.DataFrame]:
    """A truth file and the purchase records in which each planted straw left one trace (person key = id)."""
    straws = [{"person_id": person, "ring_id": ring, "purchaser_in_traces": [f"T-{person}"]}
              for ring, people in rings.items() for person in people]
    purchases = pd.DataFrame({"src": [s["person_id"] for s in straws],
                              "sale_id": [f"trace:T-{s['person_id']}" for s in straws]})
    return {"rings": [{"ring_id": ring} for ring in rings], "straw_purchasers": straws}, purchases


def test_a_ring_together_in_a_small_network_is_recovered() -> None:
    truth, purchases = _world({"R1": ["a", "b", "c"]})
    membership = pd.Series({"a": "N1", "b": "N1", "c": "N2", "p": "N1"})
    figures = ring_metrics(truth, purchases, membership)
    assert figures["recovered_share"] == 1.0
    assert (figures["merged"], figures["split"], figures["untied"]) == (0.0, 0.0, 0.0)


def test_a_ring_inside_a_network_of_strangers_is_merged_not_recovered() -> None:
    truth, purchases = _world({"R1": ["a", "b"]})
    strangers = {f"s{i}": "N1" for i in range(7)}  # 2 + 7 = 9 > 4 x 2
    figures = ring_metrics(truth, purchases, pd.Series({"a": "N1", "b": "N1", **strangers}))
    assert figures["recovered_share"] == 0.0
    assert (figures["merged"], figures["split"], figures["untied"]) == (1.0, 0.0, 0.0)


def test_a_split_ring_is_untied_when_its_members_share_no_tie() -> None:
    truth, purchases = _world({"R1": ["a", "b", "c", "d"], "R2": ["e", "f"]})
    membership = pd.Series({"a": "N1", "b": "N1", "c": "N2", "d": "N3", "e": "N4", "f": "N5"})
    # R1: a-b, b-c tie three of four members (>= 60 %): the partition split a tied ring;
    # R2: e and f are tied only through a stranger, never to each other: nothing to recover them from
    ties = pd.DataFrame({"a": ["a", "b", "e", "f"], "b": ["b", "c", "x", "x"]})
    figures = ring_metrics(truth, purchases, membership, ties)
    assert figures["recovered_share"] == 0.0
    assert (figures["merged"], figures["split"], figures["untied"]) == (0.0, 1.0, 1.0)
    # without the ties every missed ring that is not merged counts as split
    plain = ring_metrics(truth, purchases, membership)
    assert (plain["split"], plain["untied"]) == (2.0, 0.0)
