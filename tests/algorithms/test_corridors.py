"""Corridors ranked by significance against a gravity model, checked on ATF's published state tables.

The ATF "Firearms Sourced and Recovered" tables are read through ``loaders.domain.reference`` (shipped in
loaders/refdata, provenance there). ATF published 2012 and 2013 transposed (recovery states as rows); the long
CSV in refdata is already oriented source -> recovery for every year, so orientation is handled upstream and
these tests treat 2013 like any other year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from algorithms.corridors import (
    Corridors,
    corridors,
    haversine_km,
    posterior_scores,
    state_coordinates,
    state_flows_from_atf,
    state_key,
)
from algorithms.gravity import _alternating, _demean, _fixed_effects, fit_gravity
from graph.errors import InvalidInput

IRON_PIPELINE = {"GA", "VA", "SC", "NC", "FL"}


@pytest.fixture(scope="module")
def atf() -> Corridors:
    return corridors(state_flows_from_atf(), state_coordinates())


def _top_sources(result: Corridors, destination: str, year: int, n: int) -> list[str]:
    rows = result.into(state_key(destination), year).head(n)
    return [key.removeprefix("state:US-") for key in rows["src"]]


@pytest.mark.parametrize("year", [2013, 2016])
def test_iron_pipeline_into_new_york(atf: Corridors, year: int) -> None:
    top5 = _top_sources(atf, "NY", year, 5)
    assert len(IRON_PIPELINE & set(top5)) >= 4, top5


@pytest.mark.parametrize("year", [2013, 2016])
def test_indiana_and_mississippi_into_illinois(atf: Corridors, year: int) -> None:
    assert {"IN", "MS"} <= set(_top_sources(atf, "IL", year, 3))


def test_ranking_is_not_raw_volume(atf: Corridors) -> None:
    into_ny = atf.into(state_key("NY"), 2016).set_index("src")
    pa, sc = into_ny.loc[state_key("PA")], into_ny.loc[state_key("SC")]
    assert pa["firearms"] > sc["firearms"]  # Pennsylvania, next door, sends more guns ...
    assert pa["score"] < sc["score"]  # ... but no more than its size and distance predict


def test_in_state_flows_are_not_ranked(atf: Corridors) -> None:
    assert not (atf.table["src"] == atf.table["dst"]).any()


def test_every_year_fitted_with_distance_decay(atf: Corridors) -> None:
    assert [m.year for m in atf.models] == list(range(2010, 2018))
    for model in atf.models:
        assert model.converged
        assert -3.0 < model.coefficients["log_distance"] < -0.5
        assert model.pseudo_r2 > 0.5
        assert model.prior_shape > 0


def test_gravity_expected_totals_match_observed_per_origin() -> None:
    flows = state_flows_from_atf()
    year = flows[(flows["year"] == 2016) & (flows["src"] != flows["dst"])]
    coords = state_coordinates().dropna().set_index("key")
    year = year[year["src"].isin(coords.index) & year["dst"].isin(coords.index)]
    table = year.pivot(index="src", columns="dst", values="firearms").fillna(0)
    places = table.index.intersection(table.columns)
    table = table.loc[places, places]
    xy = coords.loc[places]
    distance = haversine_km(xy["lat"].to_numpy()[:, None], xy["lon"].to_numpy()[:, None],
                            xy["lat"].to_numpy()[None, :], xy["lon"].to_numpy()[None, :])
    mask = ~np.eye(len(places), dtype=bool)
    fit = fit_gravity(table.to_numpy(), {"log_distance": np.log(np.maximum(distance, 1))}, mask)
    observed = (table.to_numpy() * mask)
    np.testing.assert_allclose(fit.expected.sum(axis=1), observed.sum(axis=1), rtol=1e-6)
    np.testing.assert_allclose(fit.expected.sum(axis=0), observed.sum(axis=0), rtol=1e-6)
    assert fit.expected[~mask].sum() == 0


def test_gravity_recovers_a_known_distance_decay() -> None:
    rng = np.random.default_rng(7)
    xy = rng.uniform(0, 2000, size=(40, 2))
    distance = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) + 20
    size = rng.lognormal(0, 1, 40)
    mask = ~np.eye(40, dtype=bool)
    truth = np.exp(np.log(size)[:, None] + np.log(size)[None, :] - 1.2 * np.log(distance) + 10) * mask
    fit = fit_gravity(rng.poisson(truth), {"log_distance": np.log(distance)}, mask)
    assert fit.coefficients["log_distance"] == pytest.approx(-1.2, abs=0.05)


def _every_sweep(y: np.ndarray, mask: np.ndarray, eta_x: np.ndarray, sweeps: int) -> tuple[np.ndarray, np.ndarray]:
    """The fixed effects' proportional fitting with every one of its sweeps run (no stop at a fixed point)."""
    rows, cols = (y * mask).sum(axis=1), (y * mask).sum(axis=0)
    shift = eta_x[mask].max()
    base = np.where(mask, np.exp(eta_x - shift), 0.0)
    ea, eb = np.ones(y.shape[0]), np.ones(y.shape[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        for _ in range(sweeps):
            ea = np.where(rows > 0, rows / (base @ eb), 0.0)
            eb = np.where(cols > 0, cols / (ea @ base), 0.0)
        return np.log(ea) - shift, np.log(eb)


@pytest.mark.parametrize("places", [6, 60])
def test_gravity_fixed_effects_stop_at_their_fixed_point_with_the_values_of_every_sweep(places: int) -> None:
    """The proportional fitting stops once a sweep returns what it was given: the fixed effects (hence every
    expected flow and score) are those of all its sweeps, bit for bit, and a place with no guns stays at zero."""
    rng = np.random.default_rng(places)
    y = rng.poisson(rng.uniform(0, 30, size=(places, places))).astype(float)
    y[0] = 0.0
    mask = ~np.eye(places, dtype=bool)
    eta_x = -1.3 * np.log(rng.uniform(10, 2000, size=(places, places)))
    for sweeps in (3, 200):
        a, b = _fixed_effects(y, mask, eta_x, np.zeros(places), np.zeros(places), sweeps=sweeps)
        want_a, want_b = _every_sweep(y, mask, eta_x, sweeps)
        assert a.tobytes() == want_a.tobytes() and b.tobytes() == want_b.tobytes()
        assert a[0] == -np.inf


@pytest.mark.parametrize("blocks", [1, 2])
def test_gravity_projection_leaves_the_weighted_two_way_residual(blocks: int) -> None:
    """The covariates' projection on the origin and destination effects (the Newton step's curvature) is the
    weighted least-squares residual: orthogonal to every row and column under the weights, ``x`` minus a row plus a
    column effect, and what the alternating projections reach when run to convergence. Also with a place without
    weight (no guns) and with weights falling apart in two blocks (two separate sets of places)."""
    rng = np.random.default_rng(blocks)
    n, m = 40, 36
    w = rng.lognormal(0, 2, size=(n, m)) * rng.uniform(size=(n, m)).__gt__(0.3)
    w[3] = 0.0
    w[:, 5] = 0.0
    if blocks == 2:
        w[:20, 18:] = 0.0
        w[20:, :18] = 0.0
    xs = rng.normal(size=(2, n, m)) * 3
    out = _demean(xs, w)
    for k in range(2):
        weighted = w * out[k]
        scale = np.abs(w * xs[k]).sum()
        assert np.abs(weighted.sum(axis=1)).max() < 1e-10 * scale
        assert np.abs(weighted.sum(axis=0)).max() < 1e-10 * scale
        effects = xs[k] - out[k]  # r_i + c_j: every double difference zero
        assert np.abs(effects - effects[:, :1] - effects[:1, :] + effects[0, 0]).max() < 1e-9
        converged = _alternating(xs[k], w, 20_000, 1e-14)
        assert np.abs((out[k] - converged) * (w > 0)).max() < 1e-8


def test_gravity_projection_falls_back_to_alternating_sweeps_where_the_gradients_stall(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Weights whose column system the conjugate gradients do not solve (here: told so) are projected by the
    alternating sweeps instead, for every covariate of the call: the same weighted two-way residual."""
    import algorithms.gravity as gravity

    rng = np.random.default_rng(7)
    w = rng.lognormal(0, 2, size=(30, 25)) * rng.uniform(size=(30, 25)).__gt__(0.3)
    xs = rng.normal(size=(3, 30, 25)) * 2
    direct = _demean(xs, w)
    monkeypatch.setattr(gravity, "_column_effects", lambda *args, **kwargs: None)
    swept = _demean(xs, w, sweeps=20_000, tol=1e-14)
    assert not np.array_equal(swept, xs)  # projected, not returned as given
    for k in range(3):
        weighted = w * swept[k]
        scale = np.abs(w * xs[k]).sum()
        assert np.abs(weighted.sum(axis=1)).max() < 1e-10 * scale
        assert np.abs(weighted.sum(axis=0)).max() < 1e-10 * scale
        assert np.abs((swept[k] - direct[k]) * (w > 0)).max() < 1e-8


def test_small_corridor_with_high_ratio_ranks_below_large_one(atf: Corridors) -> None:
    alpha = atf.models[-1].prior_shape  # the shrinkage the real 2017 table calls for
    score, z = posterior_scores(np.array([3, 300]), np.array([0.5, 55.0]), alpha)
    assert 3 / 0.5 > 300 / 55.0  # the small corridor has the higher raw ratio ...
    assert score[1] > score[0] and z[1] > z[0]  # ... and still ranks below


def test_shrinkage_in_a_full_ranking() -> None:
    # Eight equidistant-ish places exchanging 40 guns each way; two corridors stand out: one of 3 guns
    # (expected ~0.4 once its origin is small) and one of 300 (expected ~55 with a big origin).
    rng = np.random.default_rng(3)
    places = [f"P{i}" for i in range(12)]
    coords = pd.DataFrame({"key": places, "lat": rng.uniform(30, 45, 12), "lon": rng.uniform(-100, -75, 12)})
    rows = []
    for s in places:
        for d in places:
            if s != d:
                rows.append({"year": 2016, "src": s, "dst": d, "firearms": int(rng.poisson(40))})
    flows = pd.DataFrame(rows)
    small = (flows["src"] == "P0") & (flows["dst"] == "P1")
    large = (flows["src"] == "P2") & (flows["dst"] == "P3")
    flows.loc[flows["src"] == "P0", "firearms"] = 0
    flows.loc[small, "firearms"] = 3
    flows.loc[large, "firearms"] = 300
    table = corridors(flows, coords).table.set_index(["src", "dst"])
    small_row, large_row = table.loc[("P0", "P1")], table.loc[("P2", "P3")]
    assert small_row["ratio"] > large_row["ratio"]
    assert small_row["rank"] > large_row["rank"]


def _trend_flows() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(11)
    places = [f"C{i}" for i in range(8)]
    coords = pd.DataFrame({"key": places, "lat": rng.uniform(30, 45, 8), "lon": rng.uniform(-100, -75, 8)})
    rows = []
    for year in range(2010, 2018):
        for s in places:
            for d in places:
                if s == d:
                    continue
                mean = 30.0
                if (s, d) == ("C0", "C1"):
                    mean = 10.0 * 1.35 ** (year - 2010)  # grows each year
                if (s, d) == ("C2", "C3"):
                    mean = 120.0 * 0.75 ** (year - 2010)  # shrinks each year
                rows.append({"year": year, "src": s, "dst": d, "firearms": int(rng.poisson(mean)),
                             "median_ttc_days": 400.0 + year})
    return pd.DataFrame(rows), coords


def test_emerging_and_declining_corridors() -> None:
    flows, coords = _trend_flows()
    table = corridors(flows, coords).table
    label = table.drop_duplicates(["src", "dst"]).set_index(["src", "dst"])["trend_label"]
    assert label[("C0", "C1")] == "emerging"
    assert label[("C2", "C3")] == "declining"
    assert (label == "stable").mean() > 0.8


def test_median_ttc_is_carried_per_corridor_and_year() -> None:
    flows, coords = _trend_flows()
    table = corridors(flows, coords).table
    assert (table["median_ttc_days"] == 400.0 + table["year"]).all()


def test_city_level_models_same_state_flows_separately() -> None:
    rng = np.random.default_rng(5)
    cities = pd.DataFrame({"key": [f"city:{i}" for i in range(10)], "lat": rng.uniform(30, 45, 10),
                           "lon": rng.uniform(-100, -75, 10), "state": ["A"] * 5 + ["B"] * 5})
    rows = [{"year": 2020, "src": s, "dst": d,
             "firearms": int(rng.poisson(80 if sa == da else 10))}
            for s, sa in zip(cities["key"], cities["state"], strict=True)
            for d, da in zip(cities["key"], cities["state"], strict=True) if s != d]
    result = corridors(pd.DataFrame(rows), cities)
    assert result.models[0].coefficients["same_state"] > 1.0
    assert result.params["same_state"] is True


def test_rows_without_coordinates_are_counted_not_lost_silently() -> None:
    flows = state_flows_from_atf()
    result = corridors(flows[flows["year"] == 2016], state_coordinates())
    assert result.dropped_rows > 0  # Guam and the Virgin Islands have no centroid in the gazetteer
    assert {m.year for m in result.models} == {2016}


def test_atf_conversion_drops_totals_and_uses_location_keys() -> None:
    flows = state_flows_from_atf()
    assert flows["src"].str.startswith("state:US-").all()
    assert not flows["src"].str.contains("TOTAL").any()
    ga_ny = flows[(flows["year"] == 2016) & (flows["src"] == "state:US-GA")
                  & (flows["dst"] == "state:US-NY")]
    assert ga_ny["firearms"].tolist() == [438]  # ATF 2016, source Georgia, recovered in New York


@pytest.mark.parametrize(("flows", "message"), [
    (pd.DataFrame({"year": [1], "src": ["A"], "firearms": [1]}), "lacks columns"),
    (pd.DataFrame({"year": [1, 1], "src": ["A", "A"], "dst": ["B", "B"], "firearms": [1, 2]}),
     "more than one row"),
    (pd.DataFrame({"year": [1], "src": ["A"], "dst": ["B"], "firearms": [-1]}), "non-negative"),
])
def test_bad_flow_tables_are_invalid_input(flows: pd.DataFrame, message: str) -> None:
    coords = pd.DataFrame({"key": ["A", "B"], "lat": [0.0, 1.0], "lon": [0.0, 1.0]})
    with pytest.raises(InvalidInput, match=message):
        corridors(flows, coords)
