"""The neighbourhood's frame helpers (algorithms/frames.py) are pandas' own operations done over Arrow: the same
rows in the same order, nulls equal to nulls, whatever the columns hold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from algorithms import frames
from algorithms.straw_memberships import MEMBERSHIP
from algorithms.straw_neighbourhood import Neighbourhood, unseen

_VALUES = st.sampled_from(["a", "b", "ab", "ü|x", None])


@st.composite
def frame_examples(draw: st.DrawFn) -> pd.DataFrame:
    rows = draw(st.integers(0, 30))
    column = st.lists(_VALUES, min_size=rows, max_size=rows)
    return pd.DataFrame({"person_key": pd.Series(draw(column), dtype="str"),
                         "group": pd.Series(draw(column), dtype="str"),
                         "a1": pd.Series(draw(column), dtype="str"),
                         "a2": pd.Series([None] * rows, dtype=object),  # (an all-None column, as memberships has)
                         "n": pd.Series(draw(st.lists(st.sampled_from([1.0, 2.0, float("nan")]), min_size=rows,
                                                      max_size=rows)), dtype=float)})


@settings(max_examples=150, deadline=None)
@given(frame_examples(),
       st.sampled_from([["person_key"], ["person_key", "group"], ["group", "a1", "a2"], ["a2"], None]))
def test_drop_duplicates_is_pandas(frame: pd.DataFrame, columns: list[str] | None) -> None:
    pd.testing.assert_frame_equal(frames.drop_duplicates(frame, columns),
                                  frame.drop_duplicates(columns).reset_index(drop=True))


@settings(max_examples=150, deadline=None)
@given(frame_examples(), st.sampled_from([["person_key"], ["person_key", "group"], ["group", "n", "a1"]]))
def test_sorted_once_is_pandas(frame: pd.DataFrame, columns: list[str]) -> None:
    pd.testing.assert_frame_equal(frames.sorted_once(frame, columns),
                                  frame.drop_duplicates(columns).sort_values(columns, kind="stable")
                                  .reset_index(drop=True))
    rows = np.flatnonzero(frame["n"].fillna(0).to_numpy() != 1)  # of some rows: the frame taken once
    pd.testing.assert_frame_equal(frames.sorted_once(frame, columns, rows),
                                  frame.iloc[rows].drop_duplicates(columns).sort_values(columns, kind="stable")
                                  .reset_index(drop=True))


@settings(max_examples=100, deadline=None)
@given(st.lists(frame_examples(), min_size=1, max_size=4))
def test_memberships_remembered_are_every_one_once_in_the_order_met(parts: list[pd.DataFrame]) -> None:
    """``_remember`` (looking for known ones among their persons' rows only) keeps what concatenating everything
    and dropping repeated (person, group) pairs keeps."""
    known = Neighbourhood(store=None, dealers=pd.DataFrame())  # type: ignore[arg-type]
    parts = [part.dropna(subset=["person_key", "group"]).drop_duplicates(["person_key", "group"])
             [MEMBERSHIP] for part in parts]  # (memberships gives each pair once, with both keys)
    for part in parts:
        known._remember(part)
    expected = pd.concat(parts, ignore_index=True).drop_duplicates(["person_key", "group"]).reset_index(drop=True)
    if len(expected):
        pd.testing.assert_frame_equal(known.members.reset_index(drop=True), expected, check_dtype=False)
    else:
        assert known.members.empty


_KEYS = st.lists(st.sampled_from(["a", "b", "c", None]), max_size=12)


@settings(max_examples=150, deadline=None)
@given(_KEYS, _KEYS)
def test_inner_join_positions_are_pandas_merge(left: list[str | None], right: list[str | None]) -> None:
    """The pairs of rows an inner merge makes, in its order (the left rows in theirs, each with its right matches
    in theirs; a null key matches a null, as pandas has it)."""
    one = pd.DataFrame({"key": pd.Series(left, dtype="str"), "i": np.arange(len(left))})
    other = pd.DataFrame({"key": pd.Series(right, dtype="str"), "j": np.arange(len(right))})
    merged = one.merge(other, on="key", how="inner")
    keys = frames.codes(pa.array(left, pa.string()), pa.array(right, pa.string()))
    lefts, rights = frames.inner_join_positions(*keys)
    assert lefts.tolist() == merged["i"].tolist() and rights.tolist() == merged["j"].tolist()


@settings(max_examples=150, deadline=None)
@given(_KEYS, st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=4, unique=True))
def test_positions_in_pair_rows_as_a_left_merge_on_unique_keys(keys: list[str | None], among: list[str]) -> None:
    right = pd.DataFrame({"key": pd.Series(among, dtype="str"), "j": np.arange(len(among))})
    merged = pd.DataFrame({"key": pd.Series(keys, dtype="str")}).merge(right, on="key", how="left")
    found = frames.positions_in(pa.array(keys, pa.string()), pa.array(among, pa.string()))
    assert found.tolist() == merged["j"].fillna(len(among)).astype(int).tolist()
    taken = frames.take(pa.array(among, pa.string()), found)
    assert taken.to_pylist() == [k if k in among else None for k in keys]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.sampled_from(["x", "y", None])), min_size=1, max_size=15))
def test_first_where_is_the_group_bys_first(rows: list[tuple[int, str | None]]) -> None:
    """The row of each group's first non-null value (``groupby(sort=False).agg("first")``)."""
    frame = pd.DataFrame({"g": [g for g, _ in rows], "v": pd.Series([v for _, v in rows], dtype="str")})
    labels, uniques = pd.factorize(frame["g"])
    first = frames.first_where(labels, len(uniques), frame["v"].notna().to_numpy())
    values = frames.take(pa.array(frame["v"], from_pandas=True).cast(pa.string()), first).to_pylist()
    expected = frame.groupby("g", sort=False)["v"].first()
    assert values == [None if pd.isna(v) else v for v in expected.tolist()]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.lists(_VALUES, max_size=6), max_size=3), max_size=4), st.booleans())
def test_unseen_keys_are_the_distinct_new_ones(reads: list[list[list[str | None]]], objects: bool) -> None:
    """What the neighbourhood's reads ask for next (``unseen``): per read, the distinct non-null keys of its
    columns not asked for before, as Arrow strings, each once: ``distinct(...) - seen`` as the Python sets had it."""
    seen: list[pa.Array] = []
    asked: set[str] = set()
    for columns in reads:
        series = [pd.Series(values, dtype=object if objects else "str") for values in columns]
        found = unseen([*series, None], seen)
        assert found.type == pa.string() and len(found) == len(set(found.to_pylist()))
        expected = {v for values in columns for v in values if v is not None} - asked
        assert set(found.to_pylist()) == expected
        asked |= expected
        assert {k for part in seen for k in part.to_pylist()} == asked
