"""Trace corridor cells: the counts the corridor models start from, kept in the store (``CorridorCell``).

A cell is one (level, year, source place, recovery place): how many traces it holds and their time-to-crime
(a histogram, so the median stays exact when a batch adds traces). The full analysis counts every cell from the
traces and writes them all; an incremental analysis counts only the new traces' cells, adds them to the stored
ones it touches and fits the corridor models (:func:`algorithms.corridors.corridors`, per year, with trends across
years) over the cell table: tens of thousands of cells instead of a million traces.

Both paths go through :func:`flows` (cells -> the models' input), so the incremental models equal a full
re-analysis exactly as long as every new trace is new to the store (a trace row loaded again under a new run
would be counted twice until the next full analysis, which recounts every cell).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from algorithms import grouped_text
from algorithms.corridors import state_coordinates
from algorithms.tables import AnalysisTables, isin

LEVELS = ("state", "city")
COLUMNS = ["cell_id", "level", "year", "src", "dst", "traces", "median_ttc_days", "ttc_days"]
#: City-level corridors are modelled among the busiest places only: the gravity fit is dense over source x
#: destination cells, and a corridor between two towns with a handful of guns says nothing a state-level corridor
#: does not. At most this many places per side, each with at least CITY_CORRIDOR_MIN_FIREARMS traces.
CITY_CORRIDOR_PLACES = 250
CITY_CORRIDOR_MIN_FIREARMS = 5


def trace_places(t: AnalysisTables, level: str) -> pd.DataFrame:
    """One row per trace: trace_id, year, src, dst, time_to_crime_days — the selling dealer's place (its first
    sale of the gun) to the recovery place."""
    rec = t.recovered.rename(columns={"src": "firearm_key", "dst": "trace_id"})
    sold = t.sold.rename(columns={"src": "dealer_key", "dst": "firearm_key"}).drop_duplicates("firearm_key")
    rec = rec.merge(t.recoveries.rename(columns={"key": "trace_id"})[
        ["trace_id", "recovery_date", "recovery_state", "recovery_city", "recovery_country", "time_to_crime_days"]],
        on="trace_id")
    rows = sold.merge(rec, on="firearm_key")
    dealers = t.dealers.rename(columns={"key": "dealer_key"})
    rows = rows.merge(dealers[["dealer_key", "premise_state", "premise_city"]], on="dealer_key", how="left")
    rows["year"] = pd.to_datetime(rows["recovery_date"]).dt.year
    country = rows["recovery_country"].fillna("US").str.upper()
    if level == "state":
        rows["src"] = "state:US-" + rows["premise_state"].fillna("")
        rows["dst"] = np.where(country == "US", "state:US-" + rows["recovery_state"].fillna(""),
                               "country:" + country)
        rows = rows[(rows["premise_state"].notna()) & ((country != "US") | rows["recovery_state"].notna())]
    else:
        from loaders.domain.locations import city_keys, normalize_cities

        rows["src"] = city_keys(normalize_cities(rows["premise_city"]), rows["premise_state"])
        rows["dst"] = city_keys(normalize_cities(rows["recovery_city"]), rows["recovery_state"], country)
    rows = rows.dropna(subset=["year", "src", "dst"])
    return rows[["trace_id", "year", "src", "dst", "time_to_crime_days"]].astype({"year": np.int64})


def count(rows: pd.DataFrame, level: str) -> pd.DataFrame:
    """Cells (``COLUMNS``) of :func:`trace_places` rows, ordered by year, src, dst."""
    if rows.empty:
        return pd.DataFrame(columns=COLUMNS)
    grouped = rows.groupby(["year", "src", "dst"], sort=True)
    cells = grouped.agg(traces=("trace_id", "nunique"), median_ttc_days=("time_to_crime_days", "median"))
    cells = cells.join(_histograms(rows).rename("ttc_days"), how="left").reset_index()
    cells["ttc_days"] = cells["ttc_days"].fillna("{}")
    cells.insert(0, "level", level)
    cells.insert(0, "cell_id", cell_ids(cells))
    return cells[COLUMNS]


def cell_ids(cells: pd.DataFrame) -> pd.Series:
    return (cells["level"] + "|" + cells["year"].astype(str) + "|" + cells["src"] + "|" + cells["dst"]).astype(object)


def _histograms(rows: pd.DataFrame) -> pd.Series:
    """``ttc_days`` of each (year, src, dst) of ``rows`` holding a time-to-crime: the JSON text of
    ``{day: count}`` with the days in ascending order, as ``json.dumps`` writes it (``{"12": 1, "300": 2}``;
    :func:`add` reads and rewrites it), built over all cells at once (one Python call per cell cost ~0.1 ms:
    4 s for the state world's 34k cells)."""
    ttc = rows.dropna(subset=["time_to_crime_days"])
    days = ttc["time_to_crime_days"].astype(np.int64)
    counted = (pd.DataFrame({"year": ttc["year"].to_numpy(), "src": ttc["src"].to_numpy(),
                             "dst": ttc["dst"].to_numpy(), "day": days.to_numpy()})
               .groupby(["year", "src", "dst", "day"], sort=True).size().reset_index(name="n"))
    counted["item"] = '"' + counted["day"].astype(str) + '": ' + counted["n"].astype(str)
    joined = grouped_text.joined(counted[["year", "src", "dst"]], counted["item"], name="item")
    return "{" + joined + "}"


#: one entry of a histogram's text as json.dumps and :func:`_histograms` write it: a day (an integer without
#: leading zeros) in quotes, a colon and a space, a count
_ENTRY = r'^"(?P<day>0|-?[1-9][0-9]{0,17})": (?P<n>0|[1-9][0-9]{0,17})$'


def merged_histograms(old: list[str], new: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Each pair of ``ttc_days`` texts (``old[i]``, ``new[i]``) as one: the text of the days' counts added,
    days ascending, as ``json.dumps`` writes it, and its median (nan when it holds no day): what adding the
    parsed dicts one cell at a time gives, built over every cell at once (that loop, two ``json.loads`` and a
    ``json.dumps`` a cell, cost ~0.25 CPU s for national batch 1's 2,364 cells)."""
    rows, days, counts = _entries([*old, *new])
    cells = len(old)
    frame = pd.DataFrame({"cell": rows % cells if cells else rows, "day": days, "n": counts})
    summed = frame.groupby(["cell", "day"], sort=True)["n"].sum().reset_index()
    item = '"' + summed["day"].astype(str) + '": ' + summed["n"].astype(str)
    joined = grouped_text.joined(summed["cell"], item).reindex(range(cells), fill_value="")
    text = ("{" + joined + "}").to_numpy(object)
    # the median of each cell's days repeated by their counts: the middle one or two of its sorted entries (the
    # mean of two as np.median takes it: their sum in floating point, halved)
    cell, day, n = (summed[c].to_numpy(np.int64) for c in ("cell", "day", "n"))
    total = np.bincount(cell, weights=n, minlength=cells).astype(np.int64)
    reach = np.cumsum(n)
    before = np.concatenate([[0], np.cumsum(total)[:-1]]) if cells else total
    held = total > 0
    low = np.searchsorted(reach, (before + (total - 1) // 2)[held], side="right")
    high = np.searchsorted(reach, (before + total // 2)[held], side="right")
    median = np.full(cells, np.nan)
    median[held] = (day[low].astype(float) + day[high].astype(float)) / 2.0
    return text, median


def _entries(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(text number, day, count) of every entry of the histogram texts ``texts``, read as Arrow strings (a text
    written otherwise than :func:`merged_histograms` and :func:`_histograms` write it: read by ``json.loads``)."""
    whole = pa.array(texts, pa.string())
    braced = pc.all(pc.and_(pc.starts_with(whole, "{"), pc.ends_with(whole, "}"))).as_py() is not False
    if braced:
        inner = pc.utf8_slice_codeunits(whole, 1, -1)
        inner = pc.if_else(pc.equal(inner, ""), pa.scalar(None, pa.string()), inner)
        parts = pc.split_pattern(inner, ", ")
        found = pc.extract_regex(pc.list_flatten(parts), _ENTRY)
        if found.null_count == 0:
            day, n = (pc.cast(found.field(name), pa.int64()).to_numpy() for name in ("day", "n"))
            return pc.list_parent_indices(parts).to_numpy().astype(np.int64), day, n
    pairs = [(i, int(day), int(n)) for i, text in enumerate(texts) for day, n in json.loads(text).items()]
    return (np.array([p[0] for p in pairs], dtype=np.int64), np.array([p[1] for p in pairs], dtype=np.int64),
            np.array([p[2] for p in pairs], dtype=np.int64))


def add(stored: pd.DataFrame, histograms: dict[str, str], fresh: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``stored`` cells (level, year, src, dst, traces, median_ttc_days: without ``cell_id`` and ``ttc_days``, in any
    order) plus the ``fresh`` ones counted from new traces. ``histograms``: the stored ``ttc_days`` of the cells
    ``fresh`` touches. Returns (every cell, in no particular order, the touched cells to write)."""
    if fresh.empty:
        return stored, fresh
    text, median = merged_histograms([histograms.get(cell) or "{}" for cell in fresh["cell_id"].tolist()],
                                     fresh["ttc_days"].tolist())
    update = pd.DataFrame({"cell_id": fresh["cell_id"].to_numpy(object), "ttc_days": text,
                           "median_ttc_days": median})
    at = _positions(stored, fresh)
    was = np.where(at >= 0, stored["traces"].to_numpy(np.int64)[np.maximum(at, 0)], 0) if len(stored) else 0
    update["traces"] = fresh["traces"].to_numpy(np.int64) + was
    for column in ("level", "year", "src", "dst"):
        update[column] = fresh[column].to_numpy()
    update = update[COLUMNS]
    every = stored.copy(deep=False)
    old = at >= 0
    traces = stored["traces"].to_numpy(np.int64, copy=True)
    median = stored["median_ttc_days"].to_numpy(float, copy=True)
    traces[at[old]] = update["traces"].to_numpy(np.int64)[old]
    median[at[old]] = update["median_ttc_days"].to_numpy(float)[old]
    every["traces"], every["median_ttc_days"] = traces, median
    every = pd.concat([every, update.loc[~old, every.columns]], ignore_index=True) if (~old).any() else every
    return every, update


def _positions(stored: pd.DataFrame, fresh: pd.DataFrame) -> np.ndarray:
    """Where each ``fresh`` cell is among the ``stored`` ones (-1: new). Only the stored cells between a fresh
    cell's source and recovery places get their ids made and hashed (a few thousand of the national ~555k)."""
    if stored.empty:
        return np.full(len(fresh), -1, dtype=np.int64)
    near = np.flatnonzero(isin(stored["src"], fresh["src"].drop_duplicates())
                          & isin(stored["dst"], fresh["dst"].drop_duplicates()))
    ids = cell_ids(stored.iloc[near].astype({"year": np.int64}))
    found = pd.Index(ids).get_indexer(fresh["cell_id"])
    return np.where(found >= 0, near[np.maximum(found, 0)], -1)


#: the source and the recovery place column of a cell table as codes into their distinct places (:func:`_codes`)
PlaceCodes = tuple[tuple[np.ndarray, pd.Series], tuple[np.ndarray, pd.Series]]


def place_codes(cells: pd.DataFrame) -> PlaceCodes:
    """The cells' place columns as codes (:func:`flows` of each level over the same cells takes them: hashing the
    national ~555k cells' two place columns again for the second level cost ~0.05-0.1 CPU s)."""
    return _codes(cells["src"]), _codes(cells["dst"])


def flows(cells: pd.DataFrame, locations: pd.DataFrame, level: str, codes: PlaceCodes | None = None
          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The corridor model's input at one level: ``year, src, dst, firearms, median_ttc_days`` over the places
    with coordinates (city level: the busiest places only), and the places' coordinates. ``codes``: the cells'
    :func:`place_codes`, when the caller has them."""
    places = locations[["key", "lat", "lon", "state"]].dropna(subset=["lat", "lon"])
    if level == "state":
        from loaders.domain.countries import (
            coordinates as country_coordinates,  # stores loaded before countries had points
        )

        places = pd.concat([places[places["key"].str.startswith(("state:", "country:"))], state_coordinates()[
            ["key", "lat", "lon"]], country_coordinates()], ignore_index=True).drop_duplicates("key")
    known = places["key"].astype(str).drop_duplicates()
    # masks over the whole cell table through each place column's codes (one hash of its strings), the rows taken
    # once at the end: taking the national ~545k city cells' place keys into a frame of their own (as Python
    # strings and back) and hashing them for each filter and each side's totals cost ~0.4 CPU s per run
    (src, src_places), (dst, dst_places) = codes if codes is not None else place_codes(cells)
    keep = ((cells["level"] == level).to_numpy(dtype=bool) & isin(src_places, known)[src]
            & isin(dst_places, known)[dst])
    if level == "city":
        traces = cells["traces"].to_numpy(np.int64)
        keep &= _busiest(src, src_places, traces, keep)[src] & _busiest(dst, dst_places, traces, keep)[dst]
    rows = cells.iloc[np.flatnonzero(keep)]
    grouped = pd.DataFrame({"year": rows["year"].astype(np.int64).to_numpy(), "src": rows["src"].to_numpy(),
                            "dst": rows["dst"].to_numpy(), "firearms": rows["traces"].astype(np.int64).to_numpy(),
                            "median_ttc_days": rows["median_ttc_days"].astype(float).to_numpy()})
    # sorted last, the rows kept only (the filters above do not depend on the order; the city level keeps ~5 % of
    # the national cells)
    return grouped.sort_values(["year", "src", "dst"], kind="stable").reset_index(drop=True), places


def _codes(column: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """``column``'s values as codes into its distinct values (nulls: the code of a null entry)."""
    codes, distinct = pd.factorize(column, use_na_sentinel=False)
    return codes, pd.Series(distinct)


def _busiest(codes: np.ndarray, places: pd.Series, traces: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Mask over ``places``: the at most :data:`CITY_CORRIDOR_PLACES` with the most ``traces`` over the cells
    ``rows`` (at least :data:`CITY_CORRIDOR_MIN_FIREARMS`), ties to the place key that sorts first."""
    totals = np.bincount(codes[rows], weights=traces[rows], minlength=len(places)).astype(np.int64)
    order = np.lexsort((places.rank(method="first").to_numpy(), -totals))
    chosen = order[:CITY_CORRIDOR_PLACES]
    busiest = np.zeros(len(places), dtype=bool)
    busiest[chosen[totals[chosen] >= CITY_CORRIDOR_MIN_FIREARMS]] = True
    return busiest
