"""Server-side network analytics on Neo4j Graph Data Science (``tracegraph analyze --engine gds``).

The person projection's ties are tracegraph's own (the straw features' person pairs, weighted by
:data:`algorithms.projection.PERSON_LAYERS`); the graph is projected in Neo4j over the stored ``Person`` nodes
(``cypher/gds_person_projection.neo4j.cypher``, a Cypher aggregation), and Leiden, PageRank and sampled betweenness
run inside the server through the official ``graphdatascience`` client (the ``gds`` extra). Only the results
travel back. The igraph path (:mod:`algorithms.communities`, :mod:`algorithms.centrality`) stays the default.

Differences from the igraph path, by design of GDS: Leiden optimises modularity with resolution ``gamma`` (GDS has
no CPM objective, so no size cap by re-splitting); betweenness takes relationship weights as lengths, so the
projection carries ``length = 1 / weight`` as the igraph path converts strengths. ``docs/performance.md`` compares
both on the same graph (NMI, modularity, time).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from algorithms.communities import canonical_membership
from algorithms.projection import PersonProjection
from cypher import registry
from graph.errors import InvalidInput, StoreUnavailable

PROJECTION = "gds_person_projection"


@dataclass(frozen=True)
class GdsResult:
    """Per person of the projection (in ``person_key`` order): Leiden community (canonical labels: 0 = largest),
    PageRank and betweenness (normalised as :func:`algorithms.centrality.betweenness`), with GDS's own modularity
    and the seconds each step took on the server."""

    person_key: np.ndarray
    membership: np.ndarray
    pagerank: np.ndarray
    betweenness: np.ndarray
    modularity: float
    seconds: dict[str, float] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)


def client(store: Any) -> Any:
    """A ``GraphDataScience`` client on the store's Neo4j connection (Cypher transport; no Arrow)."""
    if getattr(store, "backend", None) != "neo4j":
        raise InvalidInput("--engine gds needs the neo4j store (TRACEGRAPH_STORE=neo4j) with the Graph Data "
                           "Science plugin")
    try:
        from graphdatascience import GraphDataScience
    except ImportError as exc:
        raise InvalidInput("--engine gds needs the graphdatascience package: pip install 'tracegraph[gds]'") from exc
    try:
        return GraphDataScience(store.driver, database=store.database, arrow=False, show_progress=False)
    except Exception as exc:  # the client raises plain errors when the procedures are missing
        raise StoreUnavailable(f"Neo4j at {store.uri} has no Graph Data Science plugin ({type(exc).__name__}); "
                               f"`tracegraph neo4j start --gds` starts a local server with it") from exc


def person_networks(store: Any, projection: PersonProjection, *, seed: int = 0, gamma: float = 1.0,
                    samples: int | None = None, damping: float = 0.85) -> GdsResult:
    """Project ``projection``'s ties over the stored Person nodes, run Leiden, PageRank and (sampled) betweenness
    in GDS, drop the projection, return the results per person."""
    gds = client(store)
    graph = projection.graph
    edges = np.asarray(graph.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    weight = projection.weight
    keys = projection.person_key
    ties = [{"a": str(keys[a]), "b": str(keys[b]), "weight": float(w), "length": 1.0 / float(w)}
            for (a, b), w in zip(edges.tolist(), weight.tolist(), strict=True)]
    name = f"tracegraph-persons-{uuid.uuid4().hex[:12]}"
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    projected, _ = gds.graph.project.cypher(registry().get(PROJECTION, "neo4j"), graph_name=name, ties=ties)
    seconds["project"] = time.perf_counter() - started
    try:
        started = time.perf_counter()
        leiden = gds.leiden.mutate(projected, mutate_property="community", relationship_weight_property="weight",
                                   gamma=gamma, random_seed=seed, concurrency=1)
        seconds["leiden"] = time.perf_counter() - started
        started = time.perf_counter()
        gds.page_rank.mutate(projected, mutate_property="pagerank", relationship_weight_property="weight",
                             damping_factor=damping, concurrency=1)
        seconds["pagerank"] = time.perf_counter() - started
        started = time.perf_counter()
        sampling = {"sampling_size": samples, "sampling_seed": seed} if samples and samples < len(keys) else {}
        gds.betweenness.mutate(projected, mutate_property="betweenness", relationship_weight_property="length",
                               concurrency=1, **sampling)
        seconds["betweenness"] = time.perf_counter() - started
        started = time.perf_counter()
        rows = gds.graph.node_properties.stream(projected, ["community", "pagerank", "betweenness"],
                                                db_node_properties=["person_key"])
        seconds["stream"] = time.perf_counter() - started
    finally:
        projected.drop()
    table = _wide(rows).set_index("person_key").reindex(pd.Index(keys, dtype=object))
    tied = table["community"].notna().to_numpy()
    if not tied.all():  # every projected person has a tie, so this means the projection missed stored persons
        raise InvalidInput(f"{int((~tied).sum())} person(s) of the projection are not stored as Person nodes")
    membership, _ = canonical_membership(table["community"].astype(np.int64).to_numpy())
    n = len(keys)
    pairs = (n - 1) * (n - 2) / 2 if n >= 3 else 1.0
    return GdsResult(person_key=keys, membership=membership, pagerank=_pagerank_scaled(table["pagerank"], n),
                     betweenness=table["betweenness"].to_numpy(dtype=float) / pairs,
                     modularity=float(getattr(leiden, "modularity", float("nan"))), seconds=seconds,
                     params={"engine": "gds", "gds_version": str(gds.server_version()), "gamma": gamma,
                             "seed": seed, "samples": samples, "damping": damping})


def _wide(rows: pd.DataFrame) -> pd.DataFrame:
    """Node-property rows (long: nodeId, nodeProperty, propertyValue, person_key) as one row per person."""
    if "nodeProperty" not in rows.columns:
        return rows
    wide = rows.pivot_table(index="person_key", columns="nodeProperty", values="propertyValue", aggfunc="first")
    return wide.reset_index()


def _pagerank_scaled(values: pd.Series, n: int) -> np.ndarray:
    """GDS PageRank scores (un-normalised, mean ~1) as probabilities summing to 1, as igraph reports them."""
    raw = values.to_numpy(dtype=float)
    total = raw.sum()
    return raw / total if total > 0 else np.full(n, 1.0 / max(n, 1))
