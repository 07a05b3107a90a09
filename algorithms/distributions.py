"""The three tail probabilities the analysis takes from scipy.stats, evaluated with the scipy.special functions
scipy.stats itself calls, without importing scipy.stats.

Importing ``scipy.stats`` costs ~0.6 CPU s (its 100-odd distributions, scipy.optimize, scipy.interpolate, ...):
in ``tracegraph load day`` that import ran beside the day's load, holding Python's lock against the loading thread
(algorithms/warm_up.py, ``imports_ahead``). Each function here is ``scipy.stats.<dist>.<method>`` for the arguments
the analysis passes (arrays or scalars; no ``loc``): the same special function on the same arguments, with the
same answers where the arguments are out of the distribution's domain (nan) or the point is outside its support,
so the values are equal to the bit (tests/algorithms/test_distributions.py compares them with scipy.stats')."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.special
from scipy.special import gammaincinv, pdtrc

# scipy.stats.binom.sf evaluates scipy.special._ufuncs._binom_sf (Boost's binomial, not special.bdtrc, whose last
# bits differ); a scipy without it in scipy.special is asked through scipy.stats itself
_BINOM_SF: Any = getattr(scipy.special._ufuncs, "_binom_sf", None)


def poisson_sf(k: Any, mu: Any) -> Any:
    """``scipy.stats.poisson.sf(k, mu)``: P[X > k] for X ~ Poisson(mu)."""
    mu = np.asarray(mu)
    return _discrete_sf(k, mu >= 0, 0, np.inf, lambda x, m: pdtrc(np.floor(x), m), mu)


def binom_sf(k: Any, n: Any, p: Any) -> Any:
    """``scipy.stats.binom.sf(k, n, p)``: P[X > k] for X ~ Binomial(n, p)."""
    if _BINOM_SF is None:  # (an older scipy: scipy.stats' own)
        from scipy.stats import binom

        return binom.sf(k, n, p)
    n, p = np.asarray(n), np.asarray(p)
    valid = (n >= 0) & (n == np.floor(n)) & (p >= 0) & (p <= 1)
    return _discrete_sf(k, valid, 0, n, lambda x, size, chance: _BINOM_SF(np.floor(x), size, chance), n, p)


def gamma_ppf(q: Any, a: Any, scale: Any = 1.0) -> Any:
    """``scipy.stats.gamma.ppf(q, a, scale=scale)``: the ``q`` quantile of Gamma(shape ``a``, ``scale``)."""
    q, a, scale = np.asarray(q), np.asarray(a), np.asarray(scale)
    valid = (a > 0) & (scale > 0)
    inside = valid & (q > 0) & (q < 1)
    shape = np.shape(inside)
    output = np.full(shape, np.nan)
    for end, at in ((0.0, q == 0), (np.inf, q == 1)):  # the support's ends, scaled (an infinite scale: nan)
        with np.errstate(invalid="ignore"):
            np.place(output, valid & at, np.broadcast_to(end * scale + 0.0, shape)[valid & at])
    if np.any(inside):
        q, a, scale = (np.broadcast_to(value, shape)[inside] for value in (q, a, scale))
        with np.errstate(invalid="ignore"):  # (a zero quantile at an infinite scale: nan, as scipy.stats gives)
            np.place(output, inside, gammaincinv(a, q) * scale + 0.0)  # (+ loc, 0: as scipy.stats adds it)
    return output[()] if output.ndim == 0 else output


def _discrete_sf(k: Any, valid: Any, low: Any, high: Any, sf: Any, *args: Any) -> Any:
    """rv_discrete.sf's frame: 1 below the support, 0 at or above its end, nan for invalid arguments or k."""
    k = np.asarray(k)
    inside = valid & (k >= low) & (k < high) & np.isfinite(k)
    below = ((k < low) | np.isneginf(k)) & valid
    output = np.zeros(np.shape(inside))
    np.place(output, ~valid | np.isnan(k), np.nan)
    np.place(output, below, 1.0)
    if np.any(inside):
        shape = np.shape(inside)
        values = (np.broadcast_to(value, shape)[inside] for value in (k, *args))
        np.place(output, inside, np.clip(sf(*values), 0, 1))
    return output[()] if output.ndim == 0 else output
