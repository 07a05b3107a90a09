"""Centrality: PageRank (influence, hubs) and betweenness (brokers, transit places), on igraph.

Two uses: brokers on the person projection (a person who ties otherwise separate groups of buyers has high
betweenness), and hub/transit places on the location flow graph (corridors as weighted directed edges: where
guns flow to — PageRank — and which places lie between sources and destinations — betweenness).

Edge weights mean *strength* here (ties, firearms). PageRank uses them as given; betweenness needs *lengths*, so
a tie of strength ``w`` counts as length ``1 / w`` (a strong tie is a short hop).

For big graphs, betweenness takes a ``cutoff`` (only paths up to that length) or ``samples`` (Brandes–Pich:
shortest paths from ``samples`` random sources, scaled by ``n / samples``; seeded).

Reference: Brin & Page, "The anatomy of a large-scale hypertextual web search engine" (1998); Brandes, "A faster
algorithm for betweenness centrality", J. Math. Sociology 25 (2001); Brandes & Pich, "Centrality estimation in
large networks", Int. J. Bifurcation and Chaos 17 (2007).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import igraph as ig
import numpy as np
import pandas as pd

from algorithms.communities import _weights
from graph.errors import InvalidInput


@dataclass(frozen=True)
class Centrality:
    """PageRank and betweenness per vertex (aligned with the graph's vertex ids) and how they were computed.

    ``betweenness`` is normalised to [0, 1] by the number of vertex pairs, so values from graphs of different
    sizes compare; ``betweenness_exact`` is False when a cutoff or sampling was used.
    """

    pagerank: np.ndarray
    betweenness: np.ndarray
    betweenness_exact: bool
    params: dict[str, Any]

    def top(self, measure: str, n: int = 10) -> list[int]:
        """Vertex ids with the highest ``pagerank`` or ``betweenness`` (ties: lower id first)."""
        values = {"pagerank": self.pagerank, "betweenness": self.betweenness}.get(measure)
        if values is None:
            raise InvalidInput(f"unknown centrality measure {measure!r}")
        order = np.lexsort((np.arange(len(values)), -values))
        return [int(v) for v in order[:n]]


def pagerank(graph: ig.Graph, *, damping: float = 0.85,
             weights: str | Sequence[float] | np.ndarray | None = None) -> np.ndarray:
    """PageRank (sums to 1) following edge direction on directed graphs; weights are strengths.

    >>> star = ig.Graph([(1, 0), (2, 0), (3, 0)], directed=True)
    >>> int(np.argmax(pagerank(star)))
    0
    """
    if not 0 < damping < 1:
        raise InvalidInput("damping must lie strictly between 0 and 1")
    if graph.vcount() == 0:
        return np.zeros(0)
    return np.asarray(graph.pagerank(damping=damping, weights=_weights(graph, weights), directed=graph.is_directed()))


def betweenness(graph: ig.Graph, *, weights: str | Sequence[float] | np.ndarray | None = None,
                cutoff: float | None = None, samples: int | None = None, seed: int = 0) -> np.ndarray:
    """Betweenness normalised by the number of ordered (directed) or unordered pairs of other vertices.

    ``weights`` are strengths (converted to lengths ``1 / w``); ``cutoff`` limits path length (in hops, or in
    length units when weighted); ``samples`` estimates from that many seeded random source vertices.

    >>> path = ig.Graph([(0, 1), (1, 2), (2, 3), (3, 4)])
    >>> betweenness(path).round(3).tolist()
    [0.0, 0.5, 0.667, 0.5, 0.0]
    """
    n = graph.vcount()
    if n < 3:
        return np.zeros(n)
    strengths = _weights(graph, weights)
    lengths = None
    if strengths is not None:
        if any(w <= 0 for w in strengths):
            raise InvalidInput("betweenness weights must be positive strengths")
        lengths = [1.0 / w for w in strengths]
    directed = graph.is_directed()
    if samples is not None and samples < n:
        if samples < 1:
            raise InvalidInput("samples must be at least 1")
        sources = np.random.default_rng(seed).choice(n, size=samples, replace=False)
        raw = np.asarray(graph.betweenness(directed=directed, cutoff=cutoff, weights=lengths,
                                           sources=sources.tolist()), dtype=float)
        raw *= n / samples
    else:
        raw = np.asarray(graph.betweenness(directed=directed, cutoff=cutoff, weights=lengths), dtype=float)
    pairs = (n - 1) * (n - 2) / (1 if directed else 2)
    return raw / pairs


def centrality(graph: ig.Graph, *, weights: str | Sequence[float] | np.ndarray | None = None,
               damping: float = 0.85, cutoff: float | None = None, samples: int | None = None,
               seed: int = 0) -> Centrality:
    """PageRank and betweenness of every vertex of ``graph`` in one typed result."""
    exact = cutoff is None and (samples is None or samples >= graph.vcount())
    return Centrality(
        pagerank=pagerank(graph, damping=damping, weights=weights),
        betweenness=betweenness(graph, weights=weights, cutoff=cutoff, samples=samples, seed=seed),
        betweenness_exact=exact,
        params={"damping": damping, "cutoff": cutoff, "samples": samples, "seed": seed,
                "weighted": weights is not None},
    )


@dataclass(frozen=True)
class FlowGraph:
    """Places as vertices, corridors as directed edges weighted by firearms (attribute ``weight``)."""

    graph: ig.Graph
    place: np.ndarray


def flow_graph(flows: pd.DataFrame, *, include_in_place: bool = False) -> FlowGraph:
    """Directed place graph from a flows table with columns ``src``, ``dst``, ``firearms`` (summed
    over years and duplicate rows). Flows within one place are left out unless ``include_in_place``.

    >>> fg = flow_graph(pd.DataFrame({"src": ["GA", "GA", "VA"], "dst": ["VA", "NY", "NY"],
    ...                               "firearms": [5, 2, 9]}))
    >>> fg.place.tolist(), fg.graph.ecount()
    (['GA', 'VA', 'NY'], 3)
    """
    missing = {"src", "dst", "firearms"} - set(flows.columns)
    if missing:
        raise InvalidInput(f"flows table lacks columns {sorted(missing)}")
    table = flows[["src", "dst", "firearms"]].dropna(subset=["src", "dst"])
    table = table.groupby(["src", "dst"], sort=False, as_index=False)["firearms"].sum()
    if not include_in_place:
        table = table[table["src"] != table["dst"]]
    table = table[table["firearms"] > 0]
    codes, places = pd.factorize(pd.concat([table["src"], table["dst"]], ignore_index=True))
    m = len(table)
    graph = ig.Graph(n=len(places), directed=True)
    if m:
        graph.add_edges(np.column_stack([codes[:m], codes[m:]]))
    graph.es["weight"] = table["firearms"].astype(float).tolist()
    return FlowGraph(graph=graph, place=np.asarray(places, dtype=object))
