"""The corridor flows an analysis writes: the FLOW rows of a fitted model, written as the whole of the trace corridors.

The corridors counted from this store's traces (FLOW of basis ``traces``) are wholly the analysis' work: a fresh
analysis of the same records writes exactly the flows its models hold. An upsert alone would leave a corridor the
models no longer hold as an earlier run left it — at national scale after one day 117 city corridors of places that
left the year's busiest-250 set, each listed with its old count and score — and so a corridor whose only trace a
correction moved. :func:`write` deletes every stored trace corridor and writes the models' rows, in the full
analysis' write back and in the incremental one alike: one scan of the type, where reading every key to find the
stale ones, deleting those, then taking the stored rows out to write them back merged cost ~0.4 CPU s more of a
national batch. The loaded tables' corridors (other bases) are data, never deleted here.
"""

from __future__ import annotations

import pandas as pd

from algorithms.corridors import Corridors
from graph.store import GraphStore

#: the FLOW basis of corridors counted from this store's trace records
TRACES = "traces"


def flow_rows(name: str, found: Corridors) -> pd.DataFrame:
    """The FLOW rows of one corridor model (``name``: ``basis/level``)."""
    basis, level = name.rsplit("/", 1)
    flows = found.table
    return pd.DataFrame({
        "from_key": flows["src"], "to_key": flows["dst"], "year": flows["year"].astype("int64"), "level": level,
        "basis": basis, "firearms": flows["firearms"].astype("int64"), "expected": flows["expected"],
        "score": flows["score"], "z": flows["z"], "trend": flows["trend_label"], "trend_slope": flows["trend"],
        "median_ttc_days": flows.get("median_ttc_days")})


def write(store: GraphStore, rows: pd.DataFrame) -> None:
    """Write ``rows`` (:func:`flow_rows` of every model the analysis fitted: every trace corridor it holds, at every
    level) as the stored trace corridors: the stored ones deleted first (``flows_of_basis_delete``), so none the
    models no longer hold stays and a value the fit leaves null (a trend of fewer than three years) is stored null,
    then the rows written (none is stored any more: nothing to compare them with)."""
    store.query("flows_of_basis_delete", {"basis": TRACES})
    if len(rows):
        store.upsert_relationships("FLOW", "Location", "Location", rows)
