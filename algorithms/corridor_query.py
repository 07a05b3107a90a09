"""Asking for corridors the way a user asks: into or from some states, in some years, on one basis or all.

The one implementation behind every surface that lists corridors (``tracegraph corridors``, ``GET
/api/v1/corridors``, the corridor report, the GeoJSON and STIX exports): each face reads the FLOW rows it has (the
store, or the API's snapshot) into a frame and calls :func:`select_corridors` (or :func:`exportable`), so the same
question gets the same ranking everywhere.

Rules:

* **Basis** (``FLOW.basis``): ``traces`` (counted from this store's traces), ``atf_table`` (ATF's published state
  table, the official figures), ``table:NAME`` (another published table). Asked for none, every basis the store
  holds is listed and labelled, except that a ``table:NAME`` row is left out where the ATF table has the same cell
  (year, source, recovery): the official table is the default basis for its cells (:data:`PRECEDENCE`).
* **In-state flows** (source = recovery place) are not corridors: the gravity model leaves them out and so does
  the ranking; they come back separately (:attr:`CorridorSelection.in_state`). Zero-gun cells are not listed.
* **Order**: ``score`` descending with unscored rows last, then firearms descending, year descending, source,
  destination.
* **Trend**: per corridor and basis across the years loaded, ``trend`` (emerging / declining / stable) and
  ``trend_slope``; the test is :data:`TREND_TEST`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from graph.errors import InvalidInput
from graph.store import GraphStore

TRACES, ATF_TABLE = "traces", "atf_table"
#: Which basis wins a cell two sources both count (lower first); unlisted bases (``table:NAME``) come last.
PRECEDENCE = (ATF_TABLE,)
TREND_TEST = ("weighted least-squares slope of log((firearms + 0.5) / (expected + 0.5)) on year, weights "
              "firearms + 0.5, standard error scaled by over-dispersion; emerging / declining when |slope / se| > 2, "
              "stable otherwise, none with fewer than 3 years")
#: Columns a corridor row carries, on every surface.
COLUMNS = ("rank", "basis", "year", "src", "dst", "src_name", "dst_name", "firearms", "expected", "ratio", "score",
           "z", "trend", "trend_slope", "median_ttc_days", "level", "dataset")
_STATE = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class CorridorQuery:
    """A question about corridors. ``into`` / ``from_places``: state codes (``NY``) or location keys
    (``country:MX``); ``years``: inclusive range; ``basis``: one basis, or None for every basis (labelled);
    ``level``: state | city | country, or None for every level; ``top``: how many (None: all)."""

    into: tuple[str, ...] = ()
    from_places: tuple[str, ...] = ()
    years: tuple[int, int] | None = None
    basis: str | None = None
    level: str | None = "state"
    top: int | None = 25


@dataclass(frozen=True)
class CorridorSelection:
    ranked: pd.DataFrame     # COLUMNS, strongest first
    in_state: pd.DataFrame   # flows that never left their place, largest first (not ranked)
    bases: tuple[str, ...]   # the bases the store holds (before filtering)
    scored: bool             # whether any listed row has a score (False: run `tracegraph analyze`)
    total: int               # corridors matching before `top`


def parse_places(text: str | None, option: str) -> tuple[str, ...]:
    """``"NY, nj"`` -> ``("NY", "NJ")``; location keys (``country:MX``) pass as they are.

    >>> parse_places("ny, NJ,country:MX", "--into")
    ('NY', 'NJ', 'country:MX')
    """
    if not text:
        return ()
    out = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if ":" in part:
            out.append(part)
        elif _STATE.match(part.upper()):
            out.append(part.upper())
        else:
            raise InvalidInput(f"{option} {part!r}: give two-letter state codes (NY,NJ) or location keys")
    return tuple(out)


def parse_years(year: int | None, years: str | None) -> tuple[int, int] | None:
    """``--year 2016`` or ``--years 2010-2017`` (or ``2016``) -> an inclusive range.

    >>> parse_years(None, "2010-2017"), parse_years(2016, None), parse_years(None, None)
    ((2010, 2017), (2016, 2016), None)
    """
    if year is not None and years:
        raise InvalidInput("give --year or --years, not both")
    if year is not None:
        return (year, year)
    if not years:
        return None
    found = re.fullmatch(r"\s*(\d{4})\s*(?:[-–]\s*(\d{4})\s*)?", years)
    if not found:
        raise InvalidInput(f"--years {years!r}: use YYYY or YYYY-YYYY, e.g. 2010-2017")
    first, last = int(found.group(1)), int(found.group(2) or found.group(1))
    if last < first:
        raise InvalidInput(f"--years {years!r}: the range runs backwards")
    return (first, last)


def check_basis(basis: str | None) -> str | None:
    if basis is None or basis in (TRACES, ATF_TABLE) or re.fullmatch(r"table:[a-z0-9][a-z0-9-]*", basis):
        return basis
    raise InvalidInput(f"basis {basis!r}: use traces, atf_table or table:NAME")


def _frame(rows: pd.DataFrame | Iterable[dict[str, object]]) -> pd.DataFrame:
    frame = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    for column in ("src", "dst", "year", "level", "basis", "firearms", "expected", "score", "z", "trend",
                   "trend_slope", "median_ttc_days", "src_name", "dst_name", "src_state", "dst_state", "dataset"):
        if column not in frame.columns:
            frame[column] = None
    frame["basis"] = frame["basis"].fillna(TRACES)
    for column in ("firearms", "expected", "score", "z", "trend_slope", "median_ttc_days"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame


def _official_first(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop ``table:NAME`` rows whose cell (year, src, dst) a preferred table basis also counts."""
    tables = frame[frame["basis"] != TRACES]
    if tables.empty or tables["basis"].nunique() < 2:
        return frame
    order = {basis: i for i, basis in enumerate(PRECEDENCE)}
    rank = tables["basis"].map(lambda b: order.get(b, len(order)))
    best = rank.groupby([tables["year"], tables["src"], tables["dst"]]).transform("min")
    shadowed = tables.index[(rank > best).to_numpy()]
    return frame.drop(index=shadowed)


def _matches(frame: pd.DataFrame, side: str, places: tuple[str, ...]) -> pd.Series:
    states = [p for p in places if ":" not in p]
    keys = [p for p in places if ":" in p]
    hit = frame[side].isin(keys)
    if states:
        state = frame[f"{side}_state"].where(frame[f"{side}_state"].notna(),
                                             frame[side].astype(str).str.extract(r"^state:US-([A-Z]{2})$")[0])
        hit |= state.isin(states)
    return hit


def _order(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(_unscored=frame["score"].isna()).sort_values(
        ["_unscored", "score", "firearms", "year", "src", "dst", "basis"],
        ascending=[True, False, False, False, True, True, True], kind="stable").drop(columns="_unscored")


def _ratio(frame: pd.DataFrame) -> pd.Series:
    expected = frame["expected"].to_numpy(float)
    firearms = frame["firearms"].to_numpy(float)
    return pd.Series(np.divide(firearms, expected, out=np.full(len(frame), np.nan), where=expected > 0),
                     index=frame.index)


def exportable(rows: pd.DataFrame | Iterable[dict[str, object]]) -> pd.DataFrame:
    """Every corridor the store holds as it should leave it (GeoJSON, STIX, reports): guns counted, not in-state,
    the official table for its cells; ordered as :func:`select_corridors` orders."""
    frame = _frame(rows)
    frame = _official_first(frame)
    frame = frame[(frame["firearms"].fillna(0) > 0) & (frame["src"] != frame["dst"])]
    return _order(frame).assign(ratio=lambda f: _ratio(f)).reset_index(drop=True)


def select_corridors(rows: pd.DataFrame | Iterable[dict[str, object]], query: CorridorQuery) -> CorridorSelection:
    """Corridors answering ``query``, ranked (see the module docstring for the rules).

    >>> rows = [
    ...     {"src": "state:US-GA", "dst": "state:US-NY", "year": 2016, "basis": "atf_table", "firearms": 438,
    ...      "score": 0.74, "level": "state"},
    ...     {"src": "state:US-PA", "dst": "state:US-NY", "year": 2016, "basis": "atf_table", "firearms": 900,
    ...      "score": None, "level": "state"},
    ...     {"src": "state:US-NY", "dst": "state:US-NY", "year": 2016, "basis": "atf_table", "firearms": 2500,
    ...      "level": "state"},
    ...     {"src": "state:US-GA", "dst": "state:US-NY", "year": 2016, "basis": "table:other", "firearms": 1,
    ...      "level": "state"}]
    >>> picked = select_corridors(rows, CorridorQuery(into=("NY",), years=(2016, 2016)))
    >>> picked.ranked[["src", "basis"]].values.tolist()
    [['state:US-GA', 'atf_table'], ['state:US-PA', 'atf_table']]
    >>> picked.in_state["firearms"].tolist()
    [2500]
    """
    frame = _frame(rows)
    bases = tuple(sorted(frame["basis"].dropna().unique()))
    basis = check_basis(query.basis)
    frame = frame[frame["basis"] == basis] if basis is not None else _official_first(frame)
    if query.level is not None:
        frame = frame[frame["level"] == query.level]
    if query.years is not None:
        frame = frame[frame["year"].between(query.years[0], query.years[1])]
    if query.into:
        frame = frame[_matches(frame, "dst", query.into)]
    if query.from_places:
        frame = frame[_matches(frame, "src", query.from_places)]
    frame = frame[frame["firearms"].fillna(0) > 0]
    within = frame["src"] == frame["dst"]
    in_state = frame[within].sort_values(["firearms", "year", "src"], ascending=[False, False, True], kind="stable")
    ranked = _order(frame[~within])
    total = len(ranked)
    if query.top is not None:
        ranked = ranked.head(query.top)
    ranked = ranked.assign(rank=np.arange(1, len(ranked) + 1), ratio=_ratio(ranked))
    in_state = in_state.assign(rank=None, ratio=_ratio(in_state))
    return CorridorSelection(ranked=ranked.reset_index(drop=True), in_state=in_state.reset_index(drop=True),
                             bases=bases, scored=bool(ranked["score"].notna().any()), total=total)


def empty_answer(selection: CorridorSelection, query: CorridorQuery) -> str | None:
    """The one line a user sees when nothing matched: what is missing and how to get it (None when rows came)."""
    if len(selection.ranked):
        return None
    if not selection.bases:
        return ("needs corridors: load state tables with `tracegraph load state-traces FILE` (or traces with "
                "`tracegraph load traces FILE`), then run `tracegraph analyze`")
    if query.basis is not None and query.basis not in selection.bases:
        return (f"no corridors on basis {query.basis}: the store holds {', '.join(selection.bases)} "
                f"(load state tables with `tracegraph load state-traces FILE`)")
    return "no corridors match: widen --into/--from/--year/--level (the store holds " + ", ".join(
        selection.bases) + ")"


def store_flows(store: GraphStore, level: str | None = None) -> pd.DataFrame:
    """Every FLOW of ``level`` (None: all) with its ends' names, states and points, as :func:`select_corridors`
    takes it."""
    return store.query("corridors", {"level": level or ""}).df()


def ask(store: GraphStore, query: CorridorQuery) -> CorridorSelection:
    """:func:`select_corridors` over the store's flows."""
    return select_corridors(store_flows(store, query.level), query)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts with None (never NaN) for missing values: JSON-safe on every surface."""
    clean = frame.astype(object).where(frame.notna(), None)
    return [{k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
            for row in clean.to_dict("records")]
