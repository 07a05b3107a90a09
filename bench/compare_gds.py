"""Graph Data Science against igraph on the same person projection: NMI, modularity, time.

    .venv/bin/python bench/compare_gds.py [--scale small] [--seed 3]

Simulates a world, loads every input kind into an embedded store, computes the straw features' person pairs and the
weighted person projection (what ``analyze`` builds), writes the projection's Person nodes into a fresh local Neo4j
5.26 with the GDS plugin (``graph/neo4j_server.py``, ``gds=True``), then runs on the same graph:

* igraph: modularity Leiden (gamma 1), the product's Leiden CPM networks, PageRank, sampled betweenness;
* GDS (``algorithms.gds.person_networks``): projection over the stored Persons, Leiden (gamma 1), PageRank, sampled
  betweenness, through the ``graphdatascience`` client.

Prints one Markdown table (docs/performance.md).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import igraph as ig
import numpy as np
from scipy.stats import spearmanr

from algorithms import straw_features
from algorithms.analyze import BETWEENNESS_SAMPLES, MAX_NETWORK_SIZE, NETWORK_LAYERS, NETWORK_RESOLUTION
from algorithms.centrality import betweenness, pagerank
from algorithms.communities import leiden, leiden_cpm
from algorithms.gds import person_networks
from algorithms.projection import person_projection
from algorithms.tables import load_tables
from api.cli.demo import LOADS
from graph.embedded_store import EmbeddedStore
from graph.neo4j_server import LocalNeo4j
from graph.neo4j_store import Neo4jStore
from loaders.base import LoadOptions, run_load
from loaders.kinds import loader_for
from loaders.synthetic import simulate


def timed(func):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    value = func()
    return value, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        simulate(args.scale, args.seed, root / "inputs")
        with EmbeddedStore(root / "graph.lbug") as store:
            store.init_schema()
            for kind, name in LOADS:
                run_load(loader_for(kind), store, root / "inputs" / name, LoadOptions(rejects_dir=root / "rej"))
            pairs = straw_features.compute(load_tables(store)).pairs
        projection = person_projection({layer: pairs.loc[pairs["kind"] == kind, ["a", "b"]].rename(
            columns={"a": "person_a", "b": "person_b"}) for kind, layer in NETWORK_LAYERS.items()
            if (pairs["kind"] == kind).any()})
        graph, weight = projection.graph, projection.weight
        n = graph.vcount()
        samples = min(BETWEENNESS_SAMPLES, n)
        print(f"person projection: {n:,} persons, {graph.ecount():,} ties (scale {args.scale}, seed {args.seed}); "
              f"load avg {os.getloadavg()[0]:.1f}", flush=True)
        modularity, t_leiden = timed(lambda: leiden(graph, resolution=1.0, seed=args.seed, weights=weight))
        cpm, t_cpm = timed(lambda: leiden_cpm(graph, resolution=NETWORK_RESOLUTION, seed=args.seed, weights=weight,
                                              max_size=MAX_NETWORK_SIZE))
        rank, t_rank = timed(lambda: pagerank(graph, weights=weight))
        between, t_between = timed(lambda: betweenness(graph, weights=weight, samples=samples, seed=args.seed))
        exact = betweenness(graph, weights=weight)
        server = LocalNeo4j(root / "neo4j", gds=True, heap_mb=1024, pagecache_mb=256).start()
        try:
            with Neo4jStore(server.uri, server.user, server.password) as neo:
                neo.init_schema()
                neo.upsert_nodes("Person", [{"person_key": str(k)} for k in projection.person_key])
                found, t_gds = timed(lambda: person_networks(neo, projection, seed=args.seed, samples=samples))
                found_exact = person_networks(neo, projection, seed=args.seed, samples=None)
        finally:
            server.stop()
        gds_modularity = graph.modularity(found.membership.tolist(), weights=weight.tolist())

        def nmi(a: np.ndarray, b: np.ndarray) -> float:
            return float(ig.compare_communities(a.tolist(), b.tolist(), method="nmi"))

        print(f"| measure | igraph (in process) | GDS {found.params['gds_version']} (in Neo4j) |")
        print("| --- | --- | --- |")
        print(f"| Leiden, modularity, gamma 1: communities | {modularity.count:,} | "
              f"{len(set(found.membership.tolist())):,} |")
        print(f"| — modularity of the partition (igraph's measure) | {modularity.quality:.4f} | {gds_modularity:.4f} "
              f"(GDS reports {found.modularity:.4f}) |")
        print(f"| — NMI between the two partitions | {nmi(modularity.membership, found.membership):.3f} | |")
        print(f"| — NMI against the product's networks (Leiden CPM {NETWORK_RESOLUTION}, cap {MAX_NETWORK_SIZE}) | "
              f"{nmi(modularity.membership, cpm.membership):.3f} | {nmi(found.membership, cpm.membership):.3f} |")
        def top(values: np.ndarray, k: int = 50) -> set[int]:
            return set(np.argsort(-values, kind="stable")[:k].tolist())

        print(f"| PageRank igraph vs GDS: Pearson / Spearman / largest relative difference | "
              f"{np.corrcoef(rank, found.pagerank)[0, 1]:.5f} / {spearmanr(rank, found.pagerank).statistic:.3f} / "
              f"{np.max(np.abs(found.pagerank - rank) / rank):.2%} | |")
        print(f"| exact betweenness igraph vs GDS: Pearson / top-50 overlap | "
              f"{np.corrcoef(exact, found_exact.betweenness)[0, 1]:.5f} / "
              f"{len(top(exact) & top(found_exact.betweenness))}/50 | |")
        print(f"| sampled betweenness ({samples} sources, each engine its own draw) vs exact: Pearson | "
              f"{np.corrcoef(between, exact)[0, 1]:.3f} | {np.corrcoef(found.betweenness, exact)[0, 1]:.3f} |")
        print(f"| time: Leiden / PageRank / betweenness | {t_leiden:.2f} s / {t_rank:.2f} s / {t_between:.2f} s | "
              f"{found.seconds['leiden']:.2f} s / {found.seconds['pagerank']:.2f} s / "
              f"{found.seconds['betweenness']:.2f} s |")
        print(f"| time: whole step (GDS: projection over Bolt + algorithms + results back) | "
              f"{t_leiden + t_rank + t_between:.2f} s (+ CPM {t_cpm:.2f} s) | {t_gds:.2f} s "
              f"(projection {found.seconds['project']:.2f} s) |")
        print(f"load avg after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
