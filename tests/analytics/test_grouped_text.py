"""Text joined per group (algorithms/grouped_text.py) is pandas' ``groupby(keys, sort=True).agg(", ".join)``: the
same groups in the same order, each group's items in their order, whatever the keys and items are."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from algorithms import corridor_cells, dealer_counts, grouped_text

_KEYS = st.sampled_from(["b", "a", "ab", "ü|x", "B", ""])
_ITEMS = st.text(alphabet="ab ,[]\"1", max_size=6)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_KEYS, st.integers(2019, 2021), _ITEMS), max_size=40), st.sampled_from([", ", "|", ""]))
def test_joined_is_pandas(rows: list[tuple[str, int, str]], separator: str) -> None:
    frame = pd.DataFrame(rows, columns=["key", "year", "item"]).astype({"key": "str", "year": np.int64,
                                                                       "item": object})
    by_frame = grouped_text.joined(frame[["year", "key"]], frame["item"], separator, name="item")
    pd.testing.assert_series_equal(by_frame, frame.groupby(["year", "key"], sort=True)["item"].agg(separator.join))
    by_index = grouped_text.joined(pd.Index(frame["key"].to_numpy(object)), frame["item"].to_numpy(object),
                                   separator)
    expected = pd.Series(frame["item"].to_numpy(object), index=frame["key"].to_numpy(object)).groupby(
        level=0, sort=True).agg(separator.join)
    pd.testing.assert_series_equal(by_index, expected, check_index_type=len(frame) > 0)


def test_gun_shares_keep_their_sales_order() -> None:
    """A gun sold by two dealers lists its sales in the order the rows give them, the guns in key order."""
    sales = pd.DataFrame({"firearm_key": ["g2", "g1", "g2"], "dealer_key": ["d9", "d1", "d3"],
                          "sales": [1, 2, 1], "multiple": [0, 1, 1]})
    traced = pd.DataFrame(columns=["firearm_key", "dealer_key", *dealer_counts.dealer_scoring.GUN_TRACED])
    encoded = dealer_counts.encode(traced, sales)
    assert encoded["firearm_key"].tolist() == ["g1", "g2"]
    assert encoded["dealer_counts"].tolist() == ['{"sales": [["d1", 2, 1]]}',
                                                 '{"sales": [["d9", 1, 0], ["d3", 1, 1]]}']


def test_histograms_count_days_in_order() -> None:
    rows = pd.DataFrame({"year": [2020, 2020, 2020, 2021], "src": ["a", "a", "a", "a"], "dst": ["b", "b", "b", "b"],
                         "time_to_crime_days": [300, 12, 300, None]})
    histograms = corridor_cells._histograms(rows)
    assert histograms.to_dict() == {(2020, "a", "b"): '{"12": 1, "300": 2}'}
