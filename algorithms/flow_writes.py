"""The corridor flows an analysis writes: the FLOW rows of a fitted model, and the stored trace corridors the fit no
longer finds.

The corridors counted from this store's traces (FLOW of basis ``traces``) are wholly the analysis' work: a fresh
analysis of the same records writes exactly the flows its models hold. The write back is an upsert, so a corridor
the models no longer hold stayed as an earlier run left it — at national scale after one day 117 city corridors of
places that left the year's busiest-250 set, each listed with its old count and score — and so did a corridor whose
only trace a correction moved. :func:`drop_stale` deletes those before the fit's rows are written, in the full
analysis' write back and in the incremental one alike. The loaded tables' corridors (other bases) are data, never
deleted here.
"""

from __future__ import annotations

import pandas as pd

from algorithms.corridors import Corridors
from graph.store import GraphStore

#: the FLOW basis of corridors counted from this store's trace records
TRACES = "traces"
#: what names a stored FLOW: its ends, its year and its basis (the relationship's key)
KEY = ["src", "dst", "year"]


def flow_rows(name: str, found: Corridors) -> pd.DataFrame:
    """The FLOW rows of one corridor model (``name``: ``basis/level``)."""
    basis, level = name.rsplit("/", 1)
    flows = found.table
    return pd.DataFrame({
        "from_key": flows["src"], "to_key": flows["dst"], "year": flows["year"].astype("int64"), "level": level,
        "basis": basis, "firearms": flows["firearms"].astype("int64"), "expected": flows["expected"],
        "score": flows["score"], "z": flows["z"], "trend": flows["trend_label"], "trend_slope": flows["trend"],
        "median_ttc_days": flows.get("median_ttc_days")})


def stale(stored: pd.DataFrame, written: pd.DataFrame) -> pd.DataFrame:
    """The stored trace corridors (``stored``: src, dst, year of basis :data:`TRACES`) that the rows about to be
    written (``written``: FLOW rows, every basis) do not name: src, dst, year, basis."""
    if not len(stored):
        return pd.DataFrame({"src": pd.Series(dtype=object), "dst": pd.Series(dtype=object),
                             "year": pd.Series(dtype="int64"), "basis": pd.Series(dtype=object)})
    ours = written[written["basis"] == TRACES] if len(written) else written
    named = pd.DataFrame({"src": ours["from_key"].astype(object) if len(ours) else pd.Series(dtype=object),
                          "dst": ours["to_key"].astype(object) if len(ours) else pd.Series(dtype=object),
                          "year": ours["year"].astype("int64") if len(ours) else pd.Series(dtype="int64")})
    keys = stored[KEY].astype({"year": "int64"})
    both = keys.merge(named.drop_duplicates(), on=KEY, how="left", indicator=True)
    gone = both.loc[both["_merge"] == "left_only", KEY].reset_index(drop=True)
    return gone.assign(basis=TRACES)


def drop_stale(store: GraphStore, written: pd.DataFrame) -> int:
    """Delete the stored trace corridors the rows about to be written (``written``: every trace corridor the fit
    holds, at every level) do not name; returns how many."""
    stored = store.query("flow_keys_of_basis", {"basis": TRACES}).df()
    gone = stale(stored, written)
    if len(gone):
        store.query("flows_delete", {"rows": gone.astype({"year": "int64"}).to_dict("records")})
    return len(gone)
