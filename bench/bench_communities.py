"""Leiden (igraph built-in, via algorithms.communities.leiden) against networkx Louvain on one person projection.

A seeded synthetic person–person graph with planted communities (sizes 20–400, mixing 0.2) is built through
``algorithms.projection.person_projection`` from two tie layers, then both algorithms run on the same weighted
graph in the same process. Prints both times, the ratio (target >= 20x), both modularities and the NMI of each
against the planted truth. Optional ``--leidenalg`` adds the leidenalg package on the same graph.

Usage: .venv/bin/python bench/bench_communities.py [--nodes 100000] [--ties 1150000] [--seed 0] [--leidenalg]

Times are wall clock and CPU (process) time; both algorithms are single-threaded, so CPU time is the fair
comparison on a shared machine.
"""

from __future__ import annotations

import argparse
import platform
import time

import igraph as ig
import networkx as nx
import numpy as np
import pandas as pd

from algorithms.communities import leiden
from algorithms.projection import person_projection


def planted_ties(nodes: int, edges: int, mixing: float, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    sizes: list[int] = []
    while sum(sizes) < nodes:
        sizes.append(int(min(rng.pareto(1.5) * 20 + 20, 400)))
    sizes[-1] -= sum(sizes) - nodes
    sizes = [s for s in sizes if s > 0]
    truth = np.repeat(np.arange(len(sizes)), sizes)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    size_of = np.asarray(sizes)
    u = rng.integers(0, nodes, edges)
    inside = rng.random(edges) >= mixing
    v = np.where(inside, starts[truth[u]] + rng.integers(0, size_of[truth[u]]), rng.integers(0, nodes, edges))
    keys = np.array([f"p{i}" for i in range(nodes)], dtype=object)
    return pd.DataFrame({"person_a": keys[u], "person_b": keys[v]}), truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--ties", type=int, default=1_150_000, help="tie records; ~1M distinct edges after folding")
    parser.add_argument("--mixing", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--leidenalg", action="store_true", help="also time the leidenalg package")
    args = parser.parse_args()

    t0 = time.perf_counter()
    ties, truth = planted_ties(args.nodes, args.ties, args.mixing, args.seed)
    half = np.random.default_rng(args.seed).random(len(ties)) < 0.5
    persons = [f"p{i}" for i in range(args.nodes)]
    projection = person_projection({"joint_purchase": ties[half], "shared_address": ties[~half]}, persons=persons)
    graph = projection.graph
    build_s = time.perf_counter() - t0
    print(f"person projection: {graph.vcount():,} nodes, {graph.ecount():,} edges, "
          f"{len(set(truth.tolist())):,} planted communities, built in {build_s:.1f} s")
    weights = np.asarray(graph.es["weight"], dtype=float)

    t0, c0 = time.perf_counter(), time.process_time()
    found = leiden(graph, weights=weights, seed=args.seed)
    leiden_s, leiden_cpu = time.perf_counter() - t0, time.process_time() - c0
    leiden_nmi = ig.compare_communities(truth.tolist(), found.membership.tolist(), method="nmi")
    print(f"igraph Leiden (modularity): {leiden_s:.2f} s wall, {leiden_cpu:.2f} s CPU, {found.count:,} communities, "
          f"modularity {found.quality:.4f}, NMI vs planted {leiden_nmi:.3f}")

    if args.leidenalg:
        import leidenalg

        t0, c0 = time.perf_counter(), time.process_time()
        part = leidenalg.find_partition(graph, leidenalg.ModularityVertexPartition, weights=weights.tolist(),
                                        seed=args.seed)
        la_s, la_cpu = time.perf_counter() - t0, time.process_time() - c0
        print(f"leidenalg ModularityVertexPartition: {la_s:.2f} s wall, {la_cpu:.2f} s CPU, modularity "
              f"{graph.modularity(part.membership, weights=weights.tolist()):.4f}")

    t0 = time.perf_counter()
    nxg = nx.Graph()
    nxg.add_nodes_from(range(graph.vcount()))
    edges = np.asarray(graph.get_edgelist())
    nxg.add_weighted_edges_from(zip(edges[:, 0].tolist(), edges[:, 1].tolist(), weights.tolist(), strict=True))
    nx_build_s = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    louvain = nx.community.louvain_communities(nxg, weight="weight", seed=args.seed)
    louvain_s, louvain_cpu = time.perf_counter() - t0, time.process_time() - c0
    membership = np.empty(graph.vcount(), dtype=np.int64)
    for c, members in enumerate(louvain):
        membership[list(members)] = c
    louvain_q = graph.modularity(membership.tolist(), weights=weights.tolist())
    louvain_nmi = ig.compare_communities(truth.tolist(), membership.tolist(), method="nmi")
    print(f"networkx louvain_communities: {louvain_s:.2f} s wall, {louvain_cpu:.2f} s CPU "
          f"(+{nx_build_s:.1f} s to build the nx graph), "
          f"{len(louvain):,} communities, modularity {louvain_q:.4f}, NMI vs planted {louvain_nmi:.3f}")
    print(f"ratio networkx / igraph Leiden: {louvain_s / leiden_s:.1f}x wall, {louvain_cpu / leiden_cpu:.1f}x CPU "
          "(target >= 20x)")
    print(f"python {platform.python_version()}, igraph {ig.__version__}, networkx {nx.__version__}")


if __name__ == "__main__":
    main()
