"""Leiden on planted partitions: recovery, seeded determinism, resolution, the multiplex variant."""

from __future__ import annotations

import igraph as ig
import numpy as np
import pandas as pd
import pytest
from algo_graphs import planted_partition
from hypothesis import given
from hypothesis import strategies as st

from algorithms.communities import canonical_membership, leiden, leiden_cpm, leiden_multiplex
from algorithms.projection import person_projection
from graph.errors import InvalidInput

SIZES = [int(s) for s in np.random.default_rng(0).integers(20, 120, 40)]


@pytest.fixture(scope="module")
def planted() -> tuple[ig.Graph, np.ndarray]:
    edges, truth = planted_partition(SIZES, mean_degree=12, mixing=0.2, seed=1)
    return ig.Graph(n=len(truth), edges=edges.tolist()), truth


def test_recovers_planted_communities(planted: tuple[ig.Graph, np.ndarray]) -> None:
    graph, truth = planted
    found = leiden(graph, seed=0)
    assert ig.compare_communities(truth.tolist(), found.membership.tolist(), method="nmi") > 0.9
    assert ig.compare_communities(truth.tolist(), found.membership.tolist(), method="adjusted_rand") > 0.85
    assert found.quality > 0.6
    assert sum(found.sizes) == graph.vcount() and found.count == len(found.sizes)


def test_same_seed_same_partition(planted: tuple[ig.Graph, np.ndarray]) -> None:
    graph, _ = planted
    first, second = leiden(graph, seed=42), leiden(graph, seed=42)
    assert np.array_equal(first.membership, second.membership)
    assert first.quality == second.quality
    assert first.params["seed"] == 42


def test_seed_is_honoured_whatever_the_global_random_state() -> None:
    import random

    edges, _ = planted_partition([50] * 40, mean_degree=10, mixing=0.5, seed=1)  # hard: many near-optima
    graph = ig.Graph(n=2000, edges=edges.tolist())
    random.seed(1)
    first = leiden(graph, seed=3).membership
    random.seed(2)
    assert np.array_equal(first, leiden(graph, seed=3).membership)
    assert len({tuple(leiden(graph, seed=s).membership) for s in range(4)}) > 1  # the seed is really used


def test_other_seeds_find_the_same_communities(planted: tuple[ig.Graph, np.ndarray]) -> None:
    graph, _ = planted
    other_seed = leiden(graph, seed=7).membership.tolist()
    base = leiden(graph, seed=0).membership.tolist()
    # Different seeds may order work differently; the communities found agree up to relabelling.
    assert ig.compare_communities(base, other_seed, method="adjusted_rand") > 0.9


def test_modularity_not_cpm(planted: tuple[ig.Graph, np.ndarray]) -> None:
    graph, _ = planted  # igraph's default objective (CPM, resolution 1) would leave every vertex alone
    assert leiden(graph).count < graph.vcount() / 10


def test_higher_resolution_gives_more_communities(planted: tuple[ig.Graph, np.ndarray]) -> None:
    graph, _ = planted
    assert leiden(graph, resolution=4.0).count > leiden(graph, resolution=0.25).count


def test_weights_change_the_partition() -> None:
    # A 6-cycle: weights decide which pairs belong together.
    ring = ig.Graph([(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 0)])
    heavy_01 = leiden(ring, weights=[10, 1, 10, 1, 10, 1], seed=0).membership
    heavy_12 = leiden(ring, weights=[1, 10, 1, 10, 1, 10], seed=0).membership
    assert heavy_01[0] == heavy_01[1] and heavy_12[1] == heavy_12[2]
    assert heavy_01[1] != heavy_01[2] and heavy_12[0] != heavy_12[1]


def test_directed_input_is_treated_as_undirected(planted: tuple[ig.Graph, np.ndarray]) -> None:
    graph, truth = planted
    directed = ig.Graph(n=graph.vcount(), edges=graph.get_edgelist(), directed=True)
    found = leiden(directed, seed=0)
    assert ig.compare_communities(truth.tolist(), found.membership.tolist(), method="nmi") > 0.9


def test_bad_parameters() -> None:
    graph = ig.Graph([(0, 1)])
    with pytest.raises(InvalidInput):
        leiden(graph, resolution=0)
    with pytest.raises(InvalidInput):
        leiden(graph, weights=[1.0, 2.0])
    with pytest.raises(InvalidInput):
        leiden(graph, weights="no_such_attribute")


@given(st.lists(st.integers(0, 6), min_size=1, max_size=40), st.permutations(list(range(7))))
def test_canonical_membership_ignores_label_names(membership: list[int], relabel: list[int]) -> None:
    renamed = [relabel[c] for c in membership]
    assert np.array_equal(canonical_membership(membership)[0], canonical_membership(renamed)[0])
    canonical, sizes = canonical_membership(membership)
    assert list(sizes) == sorted(sizes, reverse=True)
    assert [int((canonical == c).sum()) for c in range(len(sizes))] == list(sizes)


def _split_layers(seed: int) -> tuple[dict[str, pd.DataFrame], np.ndarray, list[str]]:
    """Planted communities whose ties are scattered over two layers; neither layer alone is dense enough."""
    edges, truth = planted_partition([30] * 12, mean_degree=8, mixing=0.15, seed=seed)
    rng = np.random.default_rng(seed)
    layer = rng.random(len(edges)) < 0.5
    frame = pd.DataFrame({"person_a": [f"p{a}" for a in edges[:, 0]], "person_b": [f"p{b}" for b in edges[:, 1]]})
    persons = [f"p{i}" for i in range(len(truth))]
    return {"shared_address": frame[layer], "joint_purchase": frame[~layer]}, truth, persons


def test_multiplex_recovers_communities_split_over_layers() -> None:
    tables, truth, persons = _split_layers(3)
    projection = person_projection(tables, persons=persons)
    layers = {name: projection.layer_graph(name) for name in projection.layers}
    found = leiden_multiplex(layers, seed=0)
    assert ig.compare_communities(truth.tolist(), found.membership.tolist(), method="nmi") > 0.85
    again = leiden_multiplex(layers, seed=0)
    assert np.array_equal(found.membership, again.membership)
    assert found.params["layers"] == ["shared_address", "joint_purchase"]


def test_multiplex_needs_the_same_vertices() -> None:
    with pytest.raises(InvalidInput):
        leiden_multiplex({"a": ig.Graph(n=3), "b": ig.Graph(n=4)})


def _two_rings_and_crowd(crowd_pairs: int) -> tuple[ig.Graph, list[float]]:
    """Two 5-person rings (all ties weight 1) joined by one weak tie (0.5), plus many unrelated pairs."""
    edges = [(a, b) for ring in (range(0, 5), range(5, 10)) for a in ring for b in ring if a < b]
    weights = [1.0] * len(edges)
    edges.append((4, 5))
    weights.append(0.5)
    for i in range(crowd_pairs):
        edges.append((10 + 2 * i, 11 + 2 * i))
        weights.append(2.0)
    return ig.Graph(n=10 + 2 * crowd_pairs, edges=edges), weights


@pytest.mark.parametrize("crowd", [0, 30, 3000])
def test_cpm_keeps_weakly_tied_rings_apart_however_big_the_graph(crowd: int) -> None:
    graph, weights = _two_rings_and_crowd(crowd)
    found = leiden_cpm(graph, resolution=0.1, weights=weights, seed=0)
    assert len(set(found.membership[:5].tolist())) == 1 and len(set(found.membership[5:10].tolist())) == 1
    assert found.membership[0] != found.membership[5]
    assert found.algorithm == "leiden-cpm" and found.params["resolution"] == 0.1


def test_modularity_merges_the_same_rings_once_the_graph_is_big() -> None:
    """The resolution limit CPM avoids: with a crowd around them, modularity joins the two rings."""
    graph, weights = _two_rings_and_crowd(3000)
    found = leiden(graph, weights=weights, seed=0)
    assert found.membership[0] == found.membership[5]


def test_cpm_splits_communities_over_the_size_cap() -> None:
    star = ig.Graph.Star(60)  # one hub tied to 59 others: CPM at a low resolution keeps it whole
    whole = leiden_cpm(star, resolution=0.01, seed=0)
    assert whole.sizes == (60,)
    capped = leiden_cpm(star, resolution=0.01, seed=0, max_size=20)
    assert max(capped.sizes) <= 20 and sum(capped.sizes) == 60
    assert np.array_equal(capped.membership, leiden_cpm(star, resolution=0.01, seed=0, max_size=20).membership)
