"""The straw stage's counts, joins and texts written directly (person29): the counts per person
(``straw_features._PerPerson``), the big groups a tie leaves out (``_Groups.small``), the left joins on a unique key
(``frames.left_join_first``), the lookups by key (``frames.mapped``) and the indicators lists (``straw._encoded``)
give what the pandas group-bys, merges and maps and the json encoder they replaced gave: the same values, rows,
order, types and text."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from algorithms import straw
from algorithms import straw_features as sf
from algorithms.frames import left_join_first, mapped

_PERSONS = st.one_of(st.sampled_from(["p1", "p2", "p10", "P2", "ü", "p|3"]), st.none())
_VALUES = st.one_of(st.sampled_from(["g1", "g2", "g|3", "é", ""]), st.none())


@st.composite
def person_rows(draw: st.DrawFn) -> pd.DataFrame:
    rows = draw(st.integers(0, 40))
    return pd.DataFrame({
        "person_key": pd.Series(draw(st.lists(_PERSONS, min_size=rows, max_size=rows)), dtype="str"),
        "value": pd.Series(draw(st.lists(_VALUES, min_size=rows, max_size=rows)), dtype="str"),
        "flag": np.asarray(draw(st.lists(st.booleans(), min_size=rows, max_size=rows)), dtype=bool)})


def _as_compute_uses(counts: pd.Series, frame: pd.DataFrame) -> pd.Series:
    """Aligned to the persons as ``compute`` assigns a count to its frame, absent ones 0 (as floats: compute casts
    its counts to int after; the empty frame's group-by is typed otherwise)."""
    persons = pd.Index(sorted(set(frame["person_key"].dropna())), dtype="str")
    return counts.reindex(persons).fillna(0).astype(float)


@settings(max_examples=250, deadline=None)
@given(person_rows())
def test_counts_per_person_are_the_group_bys(frame: pd.DataFrame) -> None:
    per = sf._PerPerson(frame["person_key"])
    mask = frame["flag"].to_numpy()
    cases = [
        (per.size(), frame.groupby("person_key").size()),
        (per.size(mask), frame[mask].groupby("person_key").size()),
        (per.nunique(frame["value"]), frame.groupby("person_key")["value"].nunique()),
        (per.most(frame["value"]), frame.groupby(["person_key", "value"]).size().groupby("person_key").max()),
        (per.share(frame["flag"]), frame.groupby("person_key")["flag"].mean()),
    ]
    for got, want in cases:
        pd.testing.assert_series_equal(_as_compute_uses(got, frame), _as_compute_uses(want, frame),
                                       check_names=False, check_index_type=False, check_exact=True)


@settings(max_examples=200, deadline=None)
@given(person_rows(), st.sampled_from([0, 1, 2, 3]))
def test_big_groups_are_those_with_more_persons_than_the_limit_first_seen_first(frame: pd.DataFrame,
                                                                                limit: int) -> None:
    groups = sf._Groups(frozenset())
    assert groups.small(frame, "value", "sl", limit) is frame
    persons = frame.groupby("value", sort=False)["person_key"].nunique() if len(frame) > limit else pd.Series()
    big = persons[persons.to_numpy() > limit]
    want = pd.DataFrame({"group_id": ("sl|" + big.index.astype(str)).to_numpy(object),
                         "straw_members": big.to_numpy("int64")})
    pd.testing.assert_frame_equal(groups.big(), want if len(big) else sf._no_big_groups())


_KEYS = st.one_of(st.sampled_from(["k1", "k2", "k10", "ü"]), st.none())


@st.composite
def join_sides(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, facts = draw(st.integers(1, 25)), draw(st.integers(0, 8))

    def column(values: st.SearchStrategy, size: int) -> list:
        return draw(st.lists(values, min_size=size, max_size=size))

    left = pd.DataFrame({"key": pd.Series(column(_KEYS, rows), dtype="str"),
                         "n": np.arange(rows, dtype=np.int64)})
    right = pd.DataFrame({"key": pd.Series(column(_KEYS, facts), dtype="str"),  # (a key twice: the first counts)
                          "name": pd.Series(column(_VALUES, facts), dtype="str"),
                          "count": np.asarray(column(st.integers(0, 9), facts), dtype=np.int64),
                          "flag": np.asarray(column(st.booleans(), facts), dtype=bool),
                          "lat": np.asarray(column(st.floats(-90, 90), facts), dtype=float),
                          "when": pd.Series(column(st.sampled_from([pd.Timestamp("2024-01-02").date(), None]),
                                                   facts), dtype=object)})
    return left, right


@settings(max_examples=250, deadline=None)
@given(join_sides())
def test_left_join_first_is_the_merge_with_each_key_once(sides: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    left, right = sides
    left.index = left.index + 7  # (the merge's rows are numbered afresh)
    pd.testing.assert_frame_equal(left_join_first(left, right, "key"),
                                  left.merge(right.drop_duplicates("key"), on="key", how="left"), check_exact=True)


_NUMBERS = st.one_of(st.integers(-10**18, 10**18), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
                     st.none(), st.sampled_from([0.1 + 0.2, -0.0, 1e16, 2.5e-7, 1.05]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.fixed_dictionaries(
    {"indicator": st.sampled_from(["joint_purchase", "network", "own_recovery", "not an indicator", 'say "x"']),
     "points": _NUMBERS, "value": _NUMBERS}, optional={"extra": st.integers()}), max_size=6))
def test_indicators_are_written_as_json_writes_them(items: list[dict[str, object]]) -> None:
    assert straw._encoded(items) == json.dumps(items, sort_keys=True)


@settings(max_examples=200, deadline=None)
@given(st.lists(_KEYS, max_size=20), st.lists(st.tuples(_KEYS, st.one_of(st.floats(-5, 5), st.just(float("nan")))),
                                              max_size=8))
def test_mapped_is_the_map(keys: list[str | None], values: list[tuple[str | None, float]]) -> None:
    asked = pd.Series(keys, dtype="str")
    table = pd.Series([v for _, v in values], index=pd.Index([k for k, _ in values], dtype="str"), dtype=float)
    try:
        want = asked.map(table).fillna(-1.0).to_numpy(float)
    except pd.errors.InvalidIndexError:  # (a map refuses an index repeating a key: so does mapped)
        with pytest.raises(pd.errors.InvalidIndexError):
            mapped(asked, table, -1.0)
        return
    np.testing.assert_array_equal(mapped(asked, table, -1.0), want)
