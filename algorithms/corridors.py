"""Trafficking corridors: which source→destination flows carry more guns than geography and volume explain.

Raw volume mostly restates size (big states source and recover many guns, and most guns stay near where they
were sold). A corridor is significant when it carries more than a gravity model predicts:

1. **Expected flow** per year from :func:`algorithms.gravity.fit_gravity`: origin and destination fixed effects
   (each place's own outflow and inflow totals) and distance decay (``log`` great-circle distance); for
   city-level flows also a same-state indicator, so in-state traffic is modelled separately. The diagonal
   (source = destination) is left out of the fit and of the ranking.
2. **Shrinkage**: the corridor's rate ratio ``theta = firearms / expected`` gets an empirical-Bayes
   Poisson–gamma posterior ``Gamma(alpha + firearms, alpha + expected)``, with the prior shape ``alpha`` fitted
   to that year's data (negative-binomial marginal likelihood). ``score`` is the log of the posterior's lower
   ``quantile`` (default 5 %): "with 95 % posterior probability the corridor carries at least exp(score) times
   its expected flow". A 3-gun corridor with a high raw ratio stays uncertain and ranks below a 300-gun
   corridor with a slightly lower ratio. ``z`` is the posterior mean of ``log theta`` over its posterior sd.
3. **Trend**: weighted least-squares slope of ``log((firearms + 0.5) / (expected + 0.5))`` against year
   (weights: inverse Poisson variance ``firearms + 0.5``; the slope's standard error is scaled up by the
   residual over-dispersion), over every year both places are in the data (years with zero guns included).
   The unshrunk ratio is used on purpose: shrinkage pulls every year towards 1 and would flatten real change;
   the slope's own standard error guards against noise. ``trend_label`` is ``emerging`` / ``declining`` when
   the slope is more than ``trend_z`` standard errors from zero, else ``stable`` (``None`` with fewer than
   ``min_trend_years`` years).

See ``docs/corridors.md`` for results on the ATF state tables (the Iron Pipeline into New York; Indiana and
Mississippi into Illinois).

Reference: Santos Silva & Tenreyro (2006) for PPML gravity; Clayton & Kaldor, Biometrics 43 (1987) for
Poisson–gamma empirical Bayes; Braga et al., "Interpreting the empirical evidence on illegal gun market
dynamics", J. Urban Health 89 (2012) and ATF's annual "Firearms Trace Data" for the corridors themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import digamma, polygamma

from algorithms.distributions import gamma_ppf
from algorithms.geodesy import haversine_km
from algorithms.gravity import fit_gravity, negative_binomial_shape
from algorithms.tables import isin
from graph.errors import InvalidInput

COLUMNS = ("src", "dst", "year", "firearms", "expected", "ratio", "score", "z", "trend", "trend_label",
           "median_ttc_days", "distance_km", "rank")


@dataclass(frozen=True)
class CorridorModel:
    """The gravity fit of one year."""

    year: int
    coefficients: Mapping[str, float]
    prior_shape: float
    cells: int
    iterations: int
    converged: bool
    pseudo_r2: float


@dataclass(frozen=True)
class Corridors:
    """Observed corridors (``firearms > 0``) ranked by ``score`` within each year (``rank`` 1 = strongest).

    ``table`` columns: see :data:`COLUMNS`. ``dropped_rows``: input rows left out because a place had no
    coordinates.
    """

    table: pd.DataFrame
    models: tuple[CorridorModel, ...]
    dropped_rows: int
    params: Mapping[str, Any]

    def into(self, destination: str, year: int) -> pd.DataFrame:
        """Corridors into one destination in one year, strongest first."""
        rows = self.table[(self.table["dst"] == destination) & (self.table["year"] == year)]
        return rows.sort_values("score", ascending=False, kind="stable")


def posterior_scores(firearms: np.ndarray, expected: np.ndarray, prior_shape: float, *,
                     quantile: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """``(score, z)`` of the Poisson–gamma posterior of the rate ratio (see the module docstring).

    >>> score, z = posterior_scores(np.array([3, 300]), np.array([0.5, 55.0]), prior_shape=2.0)
    >>> bool(score[1] > score[0])
    True
    """
    shape = prior_shape + np.asarray(firearms, dtype=float)
    rate = prior_shape + np.asarray(expected, dtype=float)
    score = np.log(gamma_ppf(quantile, shape, scale=1.0 / rate))
    mean_log = digamma(shape) - np.log(rate)
    z = mean_log / np.sqrt(polygamma(1, shape))
    return np.asarray(score), np.asarray(z)


def _check_flows(flows: pd.DataFrame, coordinates: pd.DataFrame) -> None:
    missing = {"year", "src", "dst", "firearms"} - set(flows.columns)
    if missing:
        raise InvalidInput(f"flows table lacks columns {sorted(missing)}")
    missing = {"key", "lat", "lon"} - set(coordinates.columns)
    if missing:
        raise InvalidInput(f"coordinates table lacks columns {sorted(missing)}")
    if (pd.to_numeric(flows["firearms"], errors="coerce").fillna(-1) < 0).any():
        raise InvalidInput("flows.firearms must be non-negative counts")
    if flows.duplicated(["year", "src", "dst"]).any():
        raise InvalidInput("flows table has more than one row for a (year, src, dst)")


def corridors(
    flows: pd.DataFrame,
    coordinates: pd.DataFrame,
    *,
    quantile: float = 0.05,
    same_state: bool | None = None,
    min_trend_years: int = 3,
    trend_z: float = 2.0,
) -> Corridors:
    """Rank corridors by significance against a gravity model, per year, with trends across years.

    ``flows``: ``year, src, dst, firearms`` (``src`` the source place, ``dst`` the recovery place) and
    optionally ``median_ttc_days``; one row per (year, src, dst); missing pairs count as zero. ``coordinates``:
    ``key, lat, lon`` for every place and optionally ``state``; with ``state`` given (and ``same_state`` not
    False) a same-state indicator enters the model. Pure function: nothing random, nothing written.

    >>> places = pd.DataFrame({"key": list("ABCD"), "lat": [0.0, 0.0, 5.0, 5.0], "lon": [0.0, 5.0, 0.0, 5.0]})
    >>> pairs = [(s, d) for s in "ABCD" for d in "ABCD" if s != d]
    >>> flows = pd.DataFrame({"year": 2016, "src": [s for s, _ in pairs], "dst": [d for _, d in pairs],
    ...                       "firearms": [60 if (s, d) == ("A", "D") else 10 for s, d in pairs]})
    >>> result = corridors(flows, places)
    >>> top = result.table.iloc[0]
    >>> top["src"], top["dst"], int(top["rank"]), int(top["firearms"])
    ('A', 'D', 1, 60)
    """
    _check_flows(flows, coordinates)
    coords = coordinates.drop_duplicates("key").set_index("key")
    coords = coords[coords["lat"].notna() & coords["lon"].notna()]
    # masks hashed in Arrow (algorithms.tables.isin): pandas' isin on Arrow strings builds a Python object per value
    has_coords = isin(flows["src"], coords.index) & isin(flows["dst"], coords.index)
    data = flows[has_coords].copy()
    data["firearms"] = pd.to_numeric(data["firearms"]).astype(float)
    use_state = ("state" in coords.columns) if same_state is None else same_state
    if use_state and "state" not in coords.columns:
        raise InvalidInput("same_state needs a 'state' column in the coordinates table")

    observed = data[data["src"] != data["dst"]]
    wanted = observed.loc[observed["firearms"] > 0, ["src", "dst"]].drop_duplicates()
    per_year: list[pd.DataFrame] = []
    models: list[CorridorModel] = []
    for year, group in data.groupby("year", sort=True):
        sources = pd.Index(sorted(group["src"].unique()))
        destinations = pd.Index(sorted(group["dst"].unique()))
        counts = np.zeros((len(sources), len(destinations)))
        counts[sources.get_indexer(group["src"]), destinations.get_indexer(group["dst"])] = \
            group["firearms"].to_numpy()
        src, dst = coords.loc[sources], coords.loc[destinations]
        distance = haversine_km(src["lat"].to_numpy()[:, None], src["lon"].to_numpy()[:, None],
                                dst["lat"].to_numpy()[None, :], dst["lon"].to_numpy()[None, :])
        mask = sources.to_numpy()[:, None] != destinations.to_numpy()[None, :]
        covariates = {"log_distance": np.log(np.maximum(distance, 1.0))}
        if use_state:
            same = src["state"].to_numpy()[:, None] == dst["state"].to_numpy()[None, :]
            if (same & mask).any() and (~same & mask).any():
                covariates["same_state"] = same.astype(float)
        fit = fit_gravity(counts, covariates, mask)
        alpha = negative_binomial_shape(counts[mask], fit.expected[mask])
        models.append(CorridorModel(year=int(str(year)), coefficients=fit.coefficients, prior_shape=alpha,
                                    cells=fit.cells, iterations=fit.iterations, converged=fit.converged,
                                    pseudo_r2=fit.pseudo_r2))
        # Every wanted pair whose two places are in this year's model, zero counts included (for trends).
        in_year = wanted[isin(wanted["src"], sources) & isin(wanted["dst"], destinations)]
        i, j = sources.get_indexer(in_year["src"]), destinations.get_indexer(in_year["dst"])
        firearms, expected = counts[i, j], fit.expected[i, j]
        score, z = posterior_scores(firearms, expected, alpha, quantile=quantile)
        per_year.append(pd.DataFrame({
            "src": in_year["src"].to_numpy(), "dst": in_year["dst"].to_numpy(),
            "year": int(str(year)), "firearms": firearms, "expected": expected,
            "ratio": np.divide(firearms, expected, out=np.full(len(firearms), np.nan), where=expected > 0),
            "score": score, "z": z, "distance_km": distance[i, j],
            "_log_ratio": np.log((firearms + 0.5) / (expected + 0.5)), "_var_log": 1.0 / (firearms + 0.5),
        }))

    long = pd.concat(per_year, ignore_index=True) if per_year else pd.DataFrame(
        columns=[*COLUMNS, "_log_ratio", "_var_log"])
    trends = _trends(long, min_trend_years=min_trend_years, trend_z=trend_z)
    long = long.merge(trends, on=["src", "dst"], how="left")
    if "median_ttc_days" in data.columns:
        long = long.merge(data[["year", "src", "dst", "median_ttc_days"]],
                          on=["year", "src", "dst"], how="left")
    else:
        long["median_ttc_days"] = np.nan
    table = long[long["firearms"] > 0].sort_values(["year", "score"], ascending=[True, False], kind="stable")
    table = table.assign(firearms=table["firearms"].astype(np.int64),
                         rank=table.groupby("year").cumcount() + 1)
    return Corridors(table=table[list(COLUMNS)].reset_index(drop=True), models=tuple(models),
                     dropped_rows=int((~has_coords).sum()),
                     params={"quantile": quantile, "same_state": use_state, "min_trend_years": min_trend_years,
                             "trend_z": trend_z, "covariates": ["log_distance", *(["same_state"] if use_state
                                                                                  else [])]})


def _trends(long: pd.DataFrame, *, min_trend_years: int, trend_z: float) -> pd.DataFrame:
    """Per pair: WLS slope of the log rate ratio on year, and its label."""
    if long.empty:
        return pd.DataFrame(columns=["src", "dst", "trend", "trend_label"])
    w = 1.0 / long["_var_log"].to_numpy()
    frame = pd.DataFrame({"src": long["src"], "dst": long["dst"],
                          "t": long["year"].astype(float), "y": long["_log_ratio"], "w": w})
    frame["wt"], frame["wy"] = frame["w"] * frame["t"], frame["w"] * frame["y"]
    sums = frame.groupby(["src", "dst"], sort=False)[["w", "wt", "wy"]].transform("sum")
    frame["tc"] = frame["t"] - sums["wt"] / sums["w"]
    frame["yc"] = frame["y"] - sums["wy"] / sums["w"]
    frame["sxy"], frame["sxx"] = frame["w"] * frame["tc"] * frame["yc"], frame["w"] * frame["tc"] ** 2
    agg = frame.groupby(["src", "dst"], sort=False).agg(
        n=("t", "size"), sxy=("sxy", "sum"), sxx=("sxx", "sum")).reset_index()
    slope = np.divide(agg["sxy"], agg["sxx"], out=np.full(len(agg), np.nan), where=agg["sxx"] > 0)
    frame = frame.merge(agg.assign(slope=slope)[["src", "dst", "slope"]], on=["src", "dst"])
    frame["chi2"] = frame["w"] * (frame["yc"] - frame["slope"] * frame["tc"]) ** 2
    chi2 = frame.groupby(["src", "dst"], sort=False)["chi2"].sum().reindex(
        pd.MultiIndex.from_frame(agg[["src", "dst"]])).to_numpy()
    dispersion = np.maximum(1.0, chi2 / np.maximum(agg["n"].to_numpy() - 2, 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(dispersion / agg["sxx"].to_numpy())
        t_stat = slope / se
    enough = agg["n"].to_numpy() >= min_trend_years
    label = np.where(t_stat > trend_z, "emerging", np.where(t_stat < -trend_z, "declining", "stable")).astype(object)
    label[~enough] = None
    return pd.DataFrame({"src": agg["src"], "dst": agg["dst"],
                         "trend": np.where(enough, slope, np.nan), "trend_label": label})


# --- the ATF state tables --------------------------------------------------------------------------------------

_ATF_ALIASES = {"DST OF COLUMBIA": "DC", "US VIRGIN ISLND": "VI", "US VIRGIN ISLANDS": "VI",
                "GUAM & NORTHERN MARIANA ISLANDS": "GU"}


def state_key(usps: str) -> str:
    """Location key of a US state, e.g. ``state:US-NY`` (see graph/schema.py, Location)."""
    return f"state:US-{usps}"


def state_coordinates() -> pd.DataFrame:
    """``key, lat, lon, usps`` for the states, DC and territories (land-weighted county centroids)."""
    from loaders.domain.reference import states

    frame = states()
    return pd.DataFrame({"key": [state_key(s) for s in frame["state"]], "lat": frame["lat"], "lon": frame["lon"],
                         "usps": frame["state"].astype(object)})


def state_flows_from_atf(frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """ATF's ``year, source_state, recovery_state, firearms`` (state names) as a flows table keyed by
    :func:`state_key`; TOTAL rows/columns and places that are not US states or territories (CANADA) dropped.

    The long form is already oriented source -> recovery for every year (ATF published 2012 and 2013
    transposed; the table in ``loaders/refdata`` is fixed upstream, see its PROVENANCE.md).
    """
    from loaders.domain.reference import atf_state_flows, states

    frame = atf_state_flows() if frame is None else frame
    names = dict(zip(states()["name_upper"], states()["state"], strict=True)) | _ATF_ALIASES
    source = frame["source_state"].str.strip().str.upper().map(names)
    destination = frame["recovery_state"].str.strip().str.upper().map(names)
    keep = source.notna() & destination.notna()
    out = pd.DataFrame({"year": frame["year"].astype(np.int64), "src": source.map(state_key),
                        "dst": destination.map(state_key), "firearms": frame["firearms"]})[keep]
    return out.groupby(["year", "src", "dst"], as_index=False, sort=True)["firearms"].sum()
