"""The dealer anomaly model's per-dealer counts, stored on the Dealer node so an incremental analysis refits the
model over the dealer table instead of recounting every trace.

The full analysis writes the counts of :func:`algorithms.dealers.counts` for every dealer with a trace or a sale
(``Dealer.trace_count``, ``recent_traces``, ... see graph/schema.py). An incremental run recounts only the
dealers that sold a gun the new rows touch (a new trace or purchase of it, a loss/theft report naming it, a
serial batch it joined or left), from every row of the guns those dealers sold (Cypher reads keyed by the
dealers, ``cypher/dealer_counts_*.cypher``), by the same :func:`algorithms.dealers.counts`; every other dealer's
counts are read back as stored. The recount is exact because each count is a sum over the dealer's own guns:
a trace counts for its gun's first sale (the smallest dealer key, as the store's edge lists are ordered), a
purchase event for the dealer on its rows (which always sold the gun: the trace and multiple-sale loaders write
the SOLD row with it), a stopped trace for its gun's dealer with the batch it belongs to.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from algorithms import dealers as dealer_scoring
from algorithms.batches import Batch
from algorithms.tables import AnalysisTables
from graph.store import GraphStore, in_key_order

#: count (algorithms.dealers.COUNT_COLUMNS) -> Dealer property
STORED = {"traces": "trace_count", "recent": "recent_traces", "old": "old_traces",
          "obliterated": "obliterated_traces", "out_of_state": "out_of_state_recent_traces",
          "stopped": "stopped_events", "sales": "sale_events", "multiple": "multiple_sale_events"}
#: the Dealer node columns the model reads beside the counts
DEALER_COLUMNS = ("license_number", "business_name", "premise_state")


def rows(per: pd.DataFrame) -> pd.DataFrame:
    """The counts as Dealer rows to upsert: dealer_key and the stored properties (INT64)."""
    frame = per.reindex(columns=list(dealer_scoring.COUNT_COLUMNS)).fillna(0).astype("int64")
    return frame.rename(columns=STORED).rename_axis("dealer_key").reset_index()


def stored(store: GraphStore) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the Dealer nodes: key and :data:`DEALER_COLUMNS`, the stored counts indexed by dealer_key)."""
    table = store.node_table("Dealer", (*DEALER_COLUMNS, *STORED.values())).to_pandas()
    nodes = table[["key", *DEALER_COLUMNS]]
    counted = table.dropna(subset=list(STORED.values()), how="all").set_index("key")
    per = counted[list(STORED.values())].fillna(0).astype("int64").rename(columns={v: k for k, v in STORED.items()})
    per.index.name = "dealer_key"
    return nodes, per


def dealers_of_guns(store: GraphStore, guns: set[str]) -> set[str]:
    if not guns:
        return set()
    return set(store.query("dealer_counts_dealers_of_guns", {"keys": sorted(guns)}).df().get(
        "key", pd.Series(dtype=object)))


def _frame(store: GraphStore, statement: str, params: dict[str, Any], columns: list[str]) -> pd.DataFrame:
    found = store.query(statement, params).arrow()
    if found.num_rows == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return in_key_order(found).to_pandas()  # the edge lists' order: a gun's first sale is the same row


def tables_of(store: GraphStore, dealers: set[str], dealer_nodes: pd.DataFrame) -> AnalysisTables:
    """Every row :func:`algorithms.dealers.counts` reads for the guns ``dealers`` sold."""
    sold = _frame(store, "dealer_counts_sold", {"dealer_keys": sorted(dealers)}, ["src", "dst", "sale_date"])
    keys = {"keys": sorted(set(sold["dst"]))}
    firearms = _frame(store, "dealer_counts_firearms", keys, ["key", "obliterated"])
    recovered = _frame(store, "dealer_counts_recovered", keys,
                       ["src", "dst", "time_to_crime_days", "recovery_state", "trace_status"])
    recoveries = recovered.drop(columns=["src"]).rename(columns={"dst": "key"}).drop_duplicates("key")
    purchases = _frame(store, "dealer_counts_purchases", keys,
                       ["src", "dst", "sale_id", "purchase_date", "dealer_key", "multiple_sale", "report_id",
                        "source"])
    stolen = _frame(store, "dealer_counts_stolen", keys, ["src", "dst", "reported_date"])
    empty = pd.DataFrame({"key": pd.Series(dtype=object)})
    edges = pd.DataFrame({"src": pd.Series(dtype=object), "dst": pd.Series(dtype=object)})
    return AnalysisTables(
        persons=empty, purchases=purchases, firearms=firearms, sold=sold, recovered=recovered[["src", "dst"]],
        recoveries=recoveries, possessed=edges, dealers=dealer_nodes, lives_at=edges, nibin=edges,
        locations=empty, state_flows=edges, stolen=stolen)


def recount(store: GraphStore, guns: set[str], batches: Sequence[Batch], dealer_nodes: pd.DataFrame
            ) -> pd.DataFrame:
    """Fresh counts of every dealer that sold one of ``guns`` (zeros for one left with no trace or sale)."""
    dealers = dealers_of_guns(store, guns)
    if not dealers:
        return pd.DataFrame(columns=list(dealer_scoring.COUNT_COLUMNS), dtype="int64")
    counted = dealer_scoring.counts(tables_of(store, dealers, dealer_nodes), batches=batches)
    fresh = counted.reindex(pd.Index(sorted(dealers), name="dealer_key")).fillna(0).astype("int64")
    return fresh


def merged(before: pd.DataFrame, fresh: pd.DataFrame) -> pd.DataFrame:
    """The stored counts with the recounted dealers' replaced (a dealer recounted to nothing drops out)."""
    kept = before.drop(index=before.index.intersection(fresh.index))
    out = pd.concat([kept, fresh[(fresh != 0).any(axis=1)]])
    out.index.name = "dealer_key"
    return out.sort_index()



def migrate(store: GraphStore) -> int:
    """Count every dealer once on a store analysed before the counts were stored (the stopped events folding the
    serial batches the last analysis wrote, ``Firearm.batch_id``), write them and mark the latest analysis as
    holding them; what the first incremental run does otherwise. Returns the dealers counted."""
    from algorithms.runs import mark_latest_analysis
    from algorithms.tables import load_tables

    store.init_schema()
    was = store.query("firearms_batched").df()
    lots = [Batch(batch_id=str(batch_id), manufacturer="", model="", firearm_keys=tuple(group["key"]), serials=(),
                  score=0.0) for batch_id, group in (was.groupby("batch_id") if len(was) else [])]
    per = dealer_scoring.counts(load_tables(store), batches=lots)
    store.upsert_nodes("Dealer", rows(per))
    mark_latest_analysis(store, "dealer_counts")
    return len(per)
