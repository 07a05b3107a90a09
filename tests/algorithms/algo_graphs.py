"""Synthetic graphs for the algorithm tests."""

from __future__ import annotations

import numpy as np


def planted_partition(sizes: list[int], mean_degree: float, mixing: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Edges (m x 2) of a graph whose communities have the given sizes; a share ``mixing`` of each node's
    edges leaves its community. Returns (edges, true membership)."""
    rng = np.random.default_rng(seed)
    truth = np.repeat(np.arange(len(sizes)), sizes)
    n = len(truth)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    m = int(n * mean_degree / 2)
    u = rng.integers(0, n, m)
    inside = rng.random(m) >= mixing
    community = truth[u]
    v = np.where(inside, starts[community] + rng.integers(0, np.asarray(sizes)[community]), rng.integers(0, n, m))
    keep = u != v
    return np.column_stack([u[keep], v[keep]]), truth
