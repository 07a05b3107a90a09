"""More of the straw stage over codes (straw19): each person's most rows within 30 days
(``straw_features._max_within``), the pairs sharing a small group (``_co_members``), the fired indicators
(``straw._items``) and the sums per key (``straw.summed_by``) give what the keys' pandas way gave: the same values,
rows, order and types. The ``_old_*`` functions are the implementations they replaced, kept as the oracles."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from algorithms import straw
from algorithms import straw_features as sf

_PERSONS = st.one_of(st.sampled_from(["p1", "p2", "p10", "P2", "ü", "p|3"]), st.none())
_GROUPS = st.one_of(st.sampled_from(["g1", "g2", "g|3", "é"]), st.none())


def _old_max_within(frame: pd.DataFrame, column: str, *, days: int) -> pd.Series:
    data = frame[["person_key", column]].dropna().sort_values(["person_key", column])
    if data.empty:
        return pd.Series(dtype=int)
    when = data[column].to_numpy("datetime64[D]").astype(np.int64)
    person = data["person_key"].to_numpy()
    best: dict[str, int] = {}
    start = 0
    for end in range(len(when)):
        if person[end] != person[start]:
            start = end
        while when[end] - when[start] > days:
            start += 1
        count = end - start + 1
        if count > best.get(person[end], 0):
            best[person[end]] = count
    return pd.Series(best, dtype=int)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_PERSONS, st.one_of(st.integers(0, 120), st.none())), max_size=60),
       st.sampled_from([0, 1, 30]))
def test_max_within_is_the_loop(rows: list[tuple[str | None, int | None]], days: int) -> None:
    when = pd.Series([None if d is None else pd.Timestamp("2020-01-01") + pd.Timedelta(days=d) for _, d in rows],
                     dtype="datetime64[s]")
    frame = pd.DataFrame({"person_key": pd.Series([p for p, _ in rows], dtype="str"), "when": when})
    got = sf._max_within(frame["person_key"], frame["when"], days=days)
    want = _old_max_within(frame, "when", days=days)
    # as compute uses them: aligned to the persons, absent ones 0
    persons = pd.Index(sorted({p for p, _ in rows if p is not None}), dtype="str")
    assert got.dtype == want.dtype
    pd.testing.assert_series_equal(got.reindex(persons).fillna(0).astype(int),
                                   want.reindex(persons).fillna(0).astype(int))


def _old_co_members(frame: pd.DataFrame, group: str, kind: str, weight: float, *, max_group: int) -> pd.DataFrame:
    sizes = frame.groupby(group)["person_key"].transform("size")
    small = frame[(sizes >= 2) & (sizes <= max_group)]
    joined = small.merge(small, on=group, suffixes=("_a", "_b"))
    joined = joined[joined["person_key_a"] < joined["person_key_b"]]
    return pd.DataFrame({"a": joined["person_key_a"].to_numpy(), "b": joined["person_key_b"].to_numpy(),
                         "kind": kind, "weight": weight})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_PERSONS, _GROUPS), max_size=50), st.integers(1, 10))
def test_co_members_are_the_merge(rows: list[tuple[str | None, str | None]], max_group: int) -> None:
    frame = pd.DataFrame({"person_key": pd.Series([p for p, _ in rows], dtype="str"),
                          "place": pd.Series([g for _, g in rows], dtype="str")})
    got = sf._co_members(frame, "place", "shared_address", 1.0, max_group=max_group)
    want = _old_co_members(frame, "place", "shared_address", 1.0, max_group=max_group)
    pd.testing.assert_frame_equal(got, want)


def _old_items(values: pd.DataFrame, points: pd.DataFrame) -> list[list[dict[str, object]]]:
    columns = {ind.name: ind.column for ind in straw.INDICATORS}
    columns.update({"own_recovery": "recovered_from_self", "appears_as_possessor": "as_possessor",
                    "theft_pattern": "recovery_cluster_30d", "collector_pattern": "guns_purchased",
                    "reported_stolen": "reported_stolen_guns"})
    fired = points.to_numpy()
    vals = values.reindex(points.index)
    behind = [vals[columns[name]].to_numpy() for name in points.columns]
    names = list(points.columns)
    items: list[list[dict[str, object]]] = [[] for _ in range(len(points))]
    for row, col in zip(*np.nonzero(fired), strict=True):
        items[row].append({"indicator": names[col], "value": straw._plain(behind[col][row]),
                           "points": round(float(fired[row, col]), 2)})
    return items


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 12), st.randoms(use_true_random=False))
def test_items_are_the_plain_values(persons: int, rng: object) -> None:
    import random

    assert isinstance(rng, random.Random)
    columns = {ind.column for ind in straw.INDICATORS} | {"recovered_from_self", "as_possessor",
                                                            "recovery_cluster_30d", "guns_purchased",
                                                            "reported_stolen_guns", "recovered_span_days",
                                                            "purchase_burst_30d", "recovery_cities",
                                                            "short_ttc_1y_other"}
    index = pd.Index([f"p{i}" for i in range(persons)], dtype="str", name="person_key")
    values = pd.DataFrame({c: [rng.choice([0, 1, 2, 3, 5, 9]) for _ in range(persons)] for c in sorted(columns)},
                          index=index)
    values["median_distance_km"] = [rng.choice([1.005, 2.675, float("nan")]) for _ in range(persons)]
    # a float column behind an indicator (its value rounded as shown), an object one (as it is)
    values["far_recoveries"] = [rng.choice([0.0, 1.125, 2.5]) for _ in range(persons)]
    values["recovered_from_self"] = pd.Series([rng.choice([0, 1, "x"]) for _ in range(persons)], index=index,
                                              dtype=object)
    points = pd.DataFrame({name: [rng.choice([0.0, 0.5, 1.005, -2.675, 3.0]) for _ in range(persons)]
                           for name in ["short_ttc_1y", "far_recovery", "own_recovery", "collector_pattern",
                                        "theft_pattern"]}, index=index)
    assert straw._items(values, points) == _old_items(values, points)
    assert [straw._JSON.encode(i) for i in straw._items(values, points)] == [straw._JSON.encode(i) for i in
                                                                            _old_items(values, points)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_PERSONS, st.floats(allow_nan=False, allow_infinity=False, width=64)), max_size=40))
def test_summed_by_is_the_keys_group_sum(rows: list[tuple[str | None, float]]) -> None:
    keys = pd.Series([k for k, _ in rows], dtype="str")
    values = np.asarray([v for _, v in rows], dtype=float)
    got = straw.summed_by(values, keys)
    want = pd.Series(values).groupby(keys.to_numpy()).sum()
    pd.testing.assert_series_equal(got, want)
    assert np.array_equal(got.to_numpy(), want.to_numpy())  # bit for bit (an ulp apart compares equal above)
