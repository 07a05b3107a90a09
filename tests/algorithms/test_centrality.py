"""Centrality finds the planted broker between two groups and the transit place between sources and
destinations."""

from __future__ import annotations

import itertools

import igraph as ig
import numpy as np
import pandas as pd
import pytest

from algorithms.centrality import betweenness, centrality, flow_graph, pagerank
from algorithms.projection import person_projection
from graph.errors import InvalidInput


def _two_rings_and_a_broker() -> pd.DataFrame:
    """Two tight groups of 15 buyers (joint purchases within each), one person buying with 3 members of each."""
    rows = []
    for group in ("a", "b"):
        members = [f"{group}{i}" for i in range(15)]
        rows += [{"person_a": x, "person_b": y} for x, y in itertools.combinations(members, 2)]
        rows += [{"person_a": "broker", "person_b": f"{group}{i}"} for i in range(3)]
    return pd.DataFrame(rows)


def test_broker_between_two_groups_has_top_betweenness() -> None:
    projection = person_projection({"joint_purchase": _two_rings_and_a_broker()})
    result = centrality(projection.graph, weights="weight")
    assert projection.person_key[result.top("betweenness", 1)[0]] == "broker"
    assert result.betweenness_exact
    assert result.pagerank.sum() == pytest.approx(1.0)


def test_transit_city_and_hub() -> None:
    south = [f"city:US-GA:S{i}" for i in range(5)]
    north = [f"city:US-NY:N{i}" for i in range(4)]
    rows = [{"src": s, "dst": "city:US-VA:TRANSIT", "firearms": 40} for s in south]
    rows += [{"src": "city:US-VA:TRANSIT", "dst": n, "firearms": 30} for n in north]
    rows += [{"src": s, "dst": "city:US-NY:HUB", "firearms": 60} for s in south]
    rows += [{"src": n, "dst": "city:US-NY:HUB", "firearms": 20} for n in north]
    rows += [{"src": "city:US-VA:TRANSIT", "dst": "city:US-NY:HUB", "firearms": 50},
             {"src": "city:US-NY:HUB", "dst": "city:US-NY:HUB", "firearms": 999}]  # in-place: ignored
    places = flow_graph(pd.DataFrame(rows))
    result = centrality(places.graph, weights="weight")
    assert places.place[result.top("betweenness", 1)[0]] == "city:US-VA:TRANSIT"
    assert places.place[result.top("pagerank", 1)[0]] == "city:US-NY:HUB"
    assert not places.graph.is_loop().count(True)


def test_sampled_betweenness_is_seeded_and_close_to_exact() -> None:
    graph = ig.Graph.Barabasi(600, 3, directed=False)
    exact = betweenness(graph)
    sampled = betweenness(graph, samples=200, seed=4)
    assert np.array_equal(sampled, betweenness(graph, samples=200, seed=4))
    assert np.corrcoef(exact, sampled)[0, 1] > 0.9
    assert sampled.mean() == pytest.approx(exact.mean(), rel=0.2)
    assert set(np.argsort(-exact)[:5]) & set(np.argsort(-sampled)[:5])
    assert not centrality(graph, samples=200).betweenness_exact


def test_cutoff_limits_paths() -> None:
    path = ig.Graph([(i, i + 1) for i in range(9)])
    assert betweenness(path, cutoff=2).max() < betweenness(path).max()


def test_pagerank_follows_direction() -> None:
    chain = ig.Graph([(0, 1), (1, 2), (2, 3)], directed=True)
    scores = pagerank(chain)
    assert list(np.argsort(scores)) == [0, 1, 2, 3]


def test_bad_parameters() -> None:
    graph = ig.Graph([(0, 1), (1, 2)])
    with pytest.raises(InvalidInput):
        pagerank(graph, damping=1.5)
    with pytest.raises(InvalidInput):
        betweenness(graph, weights=[1.0, 0.0])
    with pytest.raises(InvalidInput):
        flow_graph(pd.DataFrame({"src": ["a"]}))
