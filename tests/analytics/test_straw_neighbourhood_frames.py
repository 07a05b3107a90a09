"""The straw neighbourhood's frame helpers (algorithms/straw_neighbourhood.py) are pandas' own operations done
over Arrow: the same rows in the same order, nulls equal to nulls, whatever the columns hold."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from algorithms import straw_neighbourhood as hood
from algorithms.straw_neighbourhood import Neighbourhood

_VALUES = st.sampled_from(["a", "b", "ab", "ü|x", None])


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    rows = draw(st.integers(0, 30))
    column = st.lists(_VALUES, min_size=rows, max_size=rows)
    return pd.DataFrame({"person_key": pd.Series(draw(column), dtype="str"),
                         "group": pd.Series(draw(column), dtype="str"),
                         "a1": pd.Series(draw(column), dtype="str"),
                         "a2": pd.Series([None] * rows, dtype=object),  # (an all-None column, as memberships has)
                         "n": pd.Series(draw(st.lists(st.sampled_from([1.0, 2.0, float("nan")]), min_size=rows,
                                                      max_size=rows)), dtype=float)})


@settings(max_examples=150, deadline=None)
@given(frames(), st.sampled_from([["person_key"], ["person_key", "group"], ["group", "a1", "a2"], ["a2"], None]))
def test_drop_duplicates_is_pandas(frame: pd.DataFrame, columns: list[str] | None) -> None:
    pd.testing.assert_frame_equal(hood._drop_duplicates(frame, columns),
                                  frame.drop_duplicates(columns).reset_index(drop=True))


@settings(max_examples=150, deadline=None)
@given(frames(), st.sampled_from([["person_key"], ["person_key", "group"], ["group", "n", "a1"]]))
def test_sorted_once_is_pandas(frame: pd.DataFrame, columns: list[str]) -> None:
    pd.testing.assert_frame_equal(hood._sorted_once(frame, columns),
                                  frame.drop_duplicates(columns).sort_values(columns, kind="stable")
                                  .reset_index(drop=True))


@settings(max_examples=100, deadline=None)
@given(st.lists(frames(), min_size=1, max_size=4))
def test_memberships_remembered_are_every_one_once_in_the_order_met(parts: list[pd.DataFrame]) -> None:
    """``_remember`` (looking for known ones among their persons' rows only) keeps what concatenating everything
    and dropping repeated (person, group) pairs keeps."""
    known = Neighbourhood(store=None, dealers=pd.DataFrame())  # type: ignore[arg-type]
    parts = [part.dropna(subset=["person_key", "group"]).drop_duplicates(["person_key", "group"])
             [hood._MEMBERSHIP] for part in parts]  # (memberships gives each pair once, with both keys)
    for part in parts:
        known._remember(part)
    expected = pd.concat(parts, ignore_index=True).drop_duplicates(["person_key", "group"]).reset_index(drop=True)
    if len(expected):
        pd.testing.assert_frame_equal(known.members.reset_index(drop=True), expected, check_dtype=False)
    else:
        assert known.members.empty
