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


def _cell(level: str, year: int, src: str, dst: str, traces: int, ttc: dict[int, int]) -> dict[str, object]:
    days = np.repeat(list(ttc), list(ttc.values())) if ttc else np.array([])
    return {"cell_id": f"{level}|{year}|{src}|{dst}", "level": level, "year": year, "src": src, "dst": dst,
            "traces": traces, "median_ttc_days": float(np.median(days)) if len(days) else float("nan"),
            "ttc_days": json.dumps({str(k): v for k, v in sorted(ttc.items())})}


def test_new_traces_added_to_stored_cells_read_without_keys_in_any_order() -> None:
    """An incremental run reads the stored cells without their ids and in the engine's order: a new trace still
    lands in its own cell, not in a neighbour between the same places in another year or at the other level."""
    stored = pd.DataFrame([
        _cell("state", 2020, "state:US-TX", "state:US-IL", 3, {10: 2, 400: 1}),
        _cell("state", 2021, "state:US-TX", "state:US-IL", 5, {30: 5}),    # same places, other year
        _cell("city", 2020, "state:US-TX", "state:US-IL", 7, {1: 7}),      # same key text, other level
        _cell("state", 2020, "state:US-OK", "state:US-IL", 2, {}),
    ]).sample(frac=1.0, random_state=4).reset_index(drop=True)
    fresh = pd.DataFrame([_cell("state", 2020, "state:US-TX", "state:US-IL", 2, {5: 1, 900: 1}),
                          _cell("state", 2022, "state:US-TX", "state:US-IL", 1, {})])
    histograms = dict(zip(stored["cell_id"], stored["ttc_days"], strict=True))
    every, touched = corridor_cells.add(stored.drop(columns=["cell_id", "ttc_days"]), histograms, fresh)
    got = {(r.level, r.year, r.src, r.dst): (r.traces, r.median_ttc_days) for r in every.itertuples(index=False)}
    assert got[("state", 2020, "state:US-TX", "state:US-IL")] == (5, 10.0)  # days 5, 10, 10, 400, 900
    assert got[("state", 2021, "state:US-TX", "state:US-IL")] == (5, 30.0)
    assert got[("city", 2020, "state:US-TX", "state:US-IL")] == (7, 1.0)
    assert got[("state", 2022, "state:US-TX", "state:US-IL")][0] == 1
    assert len(every) == 5
    assert touched.set_index("cell_id").loc["state|2020|state:US-TX|state:US-IL", "ttc_days"] == \
        '{"5": 1, "10": 2, "400": 1, "900": 1}'


def test_city_corridors_model_the_busiest_places_ties_to_the_first_key() -> None:
    """At most CITY_CORRIDOR_PLACES places per side, each with CITY_CORRIDOR_MIN_FIREARMS traces or more; places
    with equal totals are kept in key order, whatever the order of the cells."""
    n = corridor_cells.CITY_CORRIDOR_PLACES + 10
    sources = [f"city:US-TX:s{i:03d}" for i in range(n)]
    rows = [{"level": "city", "year": 2020, "src": s, "dst": "city:US-IL:chicago", "traces": 6,
             "median_ttc_days": 100.0} for s in sources]
    rows += [{"level": "city", "year": 2021, "src": sources[-1], "dst": "city:US-IL:chicago", "traces": 1,
              "median_ttc_days": 50.0},  # the last key: 7 traces, the busiest source
             {"level": "city", "year": 2020, "src": sources[0], "dst": "city:US-IL:peoria", "traces": 4,
              "median_ttc_days": 50.0}]  # a destination below the least count
    cells = pd.DataFrame(rows).sample(frac=1.0, random_state=7).reset_index(drop=True)
    locations = pd.DataFrame({"key": [*sources, "city:US-IL:chicago", "city:US-IL:peoria"], "lat": 30.0,
                              "lon": -95.0, "state": "TX"})
    flows, _ = corridor_cells.flows(cells, locations, "city")
    kept = sorted(set(flows["src"]))
    assert kept == sorted([sources[-1], *sources[:corridor_cells.CITY_CORRIDOR_PLACES - 1]])
    assert set(flows["dst"]) == {"city:US-IL:chicago"}
    assert list(flows.columns) == ["year", "src", "dst", "firearms", "median_ttc_days"]
    assert flows.equals(flows.sort_values(["year", "src", "dst"]).reset_index(drop=True))


_histogram = st.dictionaries(st.integers(-30, 40_000), st.integers(1, 500), max_size=12)


def _text(histogram: dict[int, int]) -> str:
    return json.dumps({str(k): v for k, v in sorted(histogram.items())})


@given(st.lists(st.tuples(_histogram, _histogram), max_size=20))
@settings(max_examples=80, deadline=None)
def test_merged_histograms_are_the_dicts_added_as_json_dumps_writes_them(pairs: list[tuple[dict[int, int],
                                                                                          dict[int, int]]]) -> None:
    """The stored histogram texts plus the new traces' (read over every cell at once): the text adding the two dicts
    one cell at a time gives, and np.median of the days repeated by their counts."""
    text, median = corridor_cells.merged_histograms([_text(old) for old, _ in pairs], [_text(new) for _, new in pairs])
    for (old, new), got, middle in zip(pairs, text, median, strict=True):
        both = Counter(old) + Counter(new)
        assert got == _text(both)
        days = np.repeat(sorted(both), [both[d] for d in sorted(both)])
        assert (np.isnan(middle) and not both) or middle == float(np.median(days))


def test_histogram_texts_written_otherwise_are_read_as_json() -> None:
    """A text not in json.dumps' exact form (no spaces, a day with a leading zero) is read as JSON, not dropped."""
    text, median = corridor_cells.merged_histograms(['{"7":1,"020": 2}', "{}"], ['{"7": 2}', '{"-3": 1}'])
    assert text.tolist() == ['{"7": 3, "20": 2}', '{"-3": 1}'] and median.tolist() == [7.0, -3.0]
