"""algorithms/distributions.py gives scipy.stats' values to the bit, without importing scipy.stats: in and out of
each distribution's support and domain, for arrays and for scalars."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from algorithms.distributions import binom_sf, gamma_ppf, poisson_sf

ROOT = Path(__file__).resolve().parents[2]

EDGES = [-np.inf, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 2.5, 7.0, 40.0, 1e6, np.inf, np.nan]
counts = st.one_of(st.sampled_from(EDGES), st.integers(-5, 400).map(float),
                   st.floats(-10, 1e4, allow_nan=False))
positive = st.one_of(st.sampled_from([0.0, 1e-300, 1e-9, 0.05, 1.0, 3.5, 250.0, 1e7, -1.0, np.inf, np.nan]),
                     st.floats(1e-6, 1e5))
chances = st.one_of(st.sampled_from([0.0, 1e-12, 0.01, 0.5, 0.999, 1.0, -0.1, 1.1, np.nan]), st.floats(0, 1))
sizes = st.one_of(st.sampled_from([-1.0, 0.0, 1.0, 2.5, 3.0, 50.0, 1000.0]), st.integers(0, 5000).map(float))
quantiles = st.one_of(st.sampled_from([0.0, 1e-300, 0.05, 0.5, 0.95, 1.0, -0.1, 1.5, np.nan]), st.floats(0, 1))


def same(ours: object, theirs: object) -> None:
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs), strict=True)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(counts, positive), min_size=1, max_size=12))
def test_poisson_sf_is_scipy_stats(points: list[tuple[float, float]]) -> None:
    k, mu = (np.array(column) for column in zip(*points, strict=True))
    same(poisson_sf(k, mu), stats.poisson.sf(k, mu))
    same(poisson_sf(k[0], mu[0]), stats.poisson.sf(k[0], mu[0]))
    same(poisson_sf(k, mu[0]), stats.poisson.sf(k, mu[0]))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(counts, sizes, chances), min_size=1, max_size=12))
def test_binom_sf_is_scipy_stats(points: list[tuple[float, float, float]]) -> None:
    k, n, p = (np.array(column) for column in zip(*points, strict=True))
    same(binom_sf(k, n, p), stats.binom.sf(k, n, p))
    same(binom_sf(k, n.astype(int) if np.isfinite(n).all() else n, p[0]),
         stats.binom.sf(k, n.astype(int) if np.isfinite(n).all() else n, p[0]))
    same(binom_sf(k[0], n[0], p[0]), stats.binom.sf(k[0], n[0], p[0]))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(quantiles, positive, positive), min_size=1, max_size=12))
def test_gamma_ppf_is_scipy_stats(points: list[tuple[float, float, float]]) -> None:
    q, a, rate = (np.array(column) for column in zip(*points, strict=True))
    with np.errstate(divide="ignore"):
        scale = 1.0 / rate
    with np.errstate(invalid="ignore"):  # (scipy.stats' own 0 * inf, at an infinite scale)
        expected = [stats.gamma.ppf(q, a, scale=scale), stats.gamma.ppf(0.05, a, scale=scale)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # ours warns of nothing
        same(gamma_ppf(q, a, scale=scale), expected[0])
        same(gamma_ppf(0.05, a, scale=scale), expected[1])
        same(gamma_ppf(q[0], a[0]), stats.gamma.ppf(q[0], a[0]))


def test_the_analysis_imports_no_scipy_stats() -> None:
    """What the incremental analysis imports (in `tracegraph load day`, beside the day's load) leaves scipy.stats
    out: ~0.35 CPU s more on the loading thread's lock."""
    done = subprocess.run([sys.executable, "-c", "import sys, algorithms.alerts; print('scipy.stats' in sys.modules)"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "False"
