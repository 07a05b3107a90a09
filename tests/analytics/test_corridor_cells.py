"""Corridor cells: the stored time-to-crime histograms are what a reader of ``CorridorCell.ttc_days`` expects."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from algorithms import corridor_cells

_row = st.tuples(st.integers(2019, 2021), st.sampled_from(["state:US-TX", "state:US-OK"]),
                 st.sampled_from(["state:US-IL", "country:MX"]),
                 st.one_of(st.none(), st.integers(-5, 20_000)))


@given(st.lists(_row, max_size=60))
@settings(max_examples=60, deadline=None)
def test_each_cell_holds_the_count_of_each_day_in_day_order(rows: list[tuple[int, str, str, int | None]]) -> None:
    frame = pd.DataFrame({"trace_id": [f"t{i}" for i in range(len(rows))], "year": [r[0] for r in rows],
                          "src": [r[1] for r in rows], "dst": [r[2] for r in rows],
                          "time_to_crime_days": pd.array([r[3] for r in rows], dtype="Float64").astype(float)})
    cells = corridor_cells.count(frame.astype({"year": np.int64}), "state")
    assert int(cells["traces"].sum()) == len(rows)
    for cell in cells.itertuples(index=False):
        days = [r[3] for r in rows if (r[0], r[1], r[2]) == (cell.year, cell.src, cell.dst) and r[3] is not None]
        expected = json.dumps({str(k): v for k, v in sorted(Counter(days).items())})
        assert cell.ttc_days == expected  # the JSON json.dumps writes, days ascending (negative days included)
        assert json.loads(cell.ttc_days) == {str(k): v for k, v in Counter(days).items()}
        if days:
            assert cell.median_ttc_days == float(np.median(days))
        else:
            assert np.isnan(cell.median_ttc_days)
