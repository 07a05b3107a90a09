"""The dealer anomaly model's per-dealer counts, stored on the Dealer node so an incremental analysis refits the
model over the dealer table instead of recounting every trace, and each gun's share of them, stored on the Firearm
so the increment is a delta over the guns a batch touches.

The full analysis writes the counts of :func:`algorithms.dealers.counts` for every dealer with a trace or a sale
(``Dealer.trace_count``, ``recent_traces``, ... see graph/schema.py) and each gun's share
(:func:`algorithms.dealers.gun_counts`: what its traces count for its first-sale dealer, what its purchase events
count for theirs) as ``Firearm.dealer_counts``. The counts are sums of the shares (a trace records one gun), except
the stopped events, where the guns of one serial batch at a dealer are one event (:func:`algorithms.dealers.fold`).

An incremental run (:func:`update`) takes the guns whose rows a batch touched (a new trace, purchase or
multiple-sale row of it, a loss/theft report naming it) and those whose serial batch changed; a dealer's new counts
are its stored counts minus those guns' stored shares plus their shares now, counted from their own rows read by
key (:func:`algorithms.trace_rows.of_firearms`). That is exact whatever the new rows change: a new SOLD row that
gives a gun another first-sale dealer moves its whole share from the old dealer to the new one; a trace that now
stops, or a report that now explains a stopped one, changes the gun's own share. No count depends on time: recent
and old are the trace's own time-to-crime (sale to recovery), not relative to any moving date. For the stopped
events the guns sharing a batch with a touched gun (before or after) are folded in with their stored (unchanged)
shares, so a batch is counted once per dealer on both sides. Every other dealer's counts are read back as stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from algorithms import dealers as dealer_scoring
from algorithms import grouped_text
from algorithms.batches import Batch
from algorithms.runs import NeedsFullAnalysis
from algorithms.tables import isin
from graph.store import GraphStore, StoredRows

#: count (algorithms.dealers.COUNT_COLUMNS) -> Dealer property
STORED = {"traces": "trace_count", "recent": "recent_traces", "old": "old_traces",
          "obliterated": "obliterated_traces", "out_of_state": "out_of_state_recent_traces",
          "stopped": "stopped_events", "sales": "sale_events", "multiple": "multiple_sale_events"}
#: the Firearm property holding the gun's share (:func:`encode`)
GUN_PROPERTY = "dealer_counts"
#: the AnalysisRun parameter saying the store holds the guns' shares (an older store is migrated first)
GUN_FLAG = "dealer_gun_counts"
#: the Dealer node columns the model reads beside the counts
DEALER_COLUMNS = ("license_number", "business_name", "premise_state")
#: the Dealer properties the scores are written to beside the counts (:func:`algorithms.trace_lane.dealer_rows`)
SCORED = ("short_ttc_share", "multiple_sale_share", "obliterated_share", "expected_traces", "anomaly_score",
          "anomaly_indicators")


def rows(per: pd.DataFrame) -> pd.DataFrame:
    """The counts as Dealer rows to upsert: dealer_key and the stored properties (INT64)."""
    frame = per.reindex(columns=list(dealer_scoring.COUNT_COLUMNS)).fillna(0).astype("int64")
    return frame.rename(columns=STORED).rename_axis("dealer_key").reset_index()


def stored(store: GraphStore) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the Dealer nodes: key and :data:`DEALER_COLUMNS`, the stored counts indexed by dealer_key)."""
    nodes, per, _rows = stored_rows(store)
    return nodes, per


def stored_rows(store: GraphStore) -> tuple[pd.DataFrame, pd.DataFrame, StoredRows | None]:
    """:func:`stored` and the same read as :class:`graph.store.StoredRows` of every dealer with the properties the
    incremental write back sets (the counts and :data:`SCORED`), which its Dealer upsert then compares with instead
    of reading every dealer again (None on a store that counts no writes)."""
    writes = getattr(store, "writes", None)
    read = store.node_table("Dealer", (*DEALER_COLUMNS, *STORED.values(), *SCORED))
    table = read.to_pandas()
    nodes = table[["key", *DEALER_COLUMNS]]
    counted = table.dropna(subset=list(STORED.values()), how="all").set_index("key")
    per = counted[list(STORED.values())].fillna(0).astype("int64").rename(columns={v: k for k, v in STORED.items()})
    per.index.name = "dealer_key"
    rows = None if not isinstance(writes, int) else StoredRows(
        table=read.select(["key", *STORED.values(), *SCORED]).rename_columns(["dealer_key", *STORED.values(),
                                                                               *SCORED]),
        asked=read.column("key").combine_chunks(), writes=writes)
    return nodes, per, rows


# --- each gun's share (Firearm.dealer_counts) ---------------------------------------------------------------------

def encode(traced: pd.DataFrame, sales: pd.DataFrame, guns: Iterable[str] = ()) -> pd.DataFrame:
    """firearm_key, dealer_counts: each gun's share (:func:`algorithms.dealers.gun_counts`) as the JSON stored on
    the Firearm, ``{"sales": [[dealer, sales, multiple], ...], "traced": [dealer, traces, recent, old, obliterated,
    out_of_state, stopped]}`` (either part absent when none); ``"{}"`` for ``guns`` with no share (built with
    vectorised string operations: the full run writes one per gun)."""
    def quoted(column: pd.Series) -> pd.Series:
        return column.astype(object).map(json.dumps)

    parts = []
    if len(traced):
        text = '"traced": [' + quoted(traced["dealer_key"])
        for column in dealer_scoring.GUN_TRACED:
            text = text + ", " + traced[column].astype("int64").astype(str)
        parts.append(pd.Series((text + "]").to_numpy(object), index=traced["firearm_key"].to_numpy(object),
                               name="traced"))
    if len(sales):
        item = "[" + quoted(sales["dealer_key"]) + ", " + sales["sales"].astype("int64").astype(str) + ", " + \
            sales["multiple"].astype("int64").astype(str) + "]"
        joined = grouped_text.joined(pd.Index(sales["firearm_key"].to_numpy(object)), item.to_numpy(object))
        parts.append(('"sales": [' + joined + "]").rename("sales"))
    keys = pd.Index(sorted(set(guns)), dtype=object)
    if not parts:
        return pd.DataFrame({"firearm_key": keys, "dealer_counts": "{}"})
    # (object columns: a part absent from every gun is all null, and a float column of nulls cannot take text)
    frame = pd.concat(parts, axis=1).reindex(columns=["sales", "traced"]).astype(object)
    frame = frame.reindex(frame.index.union(keys))
    body = frame["sales"].fillna("") + frame["traced"].where(frame["sales"].isna(), ", " + frame["traced"]).fillna("")
    return pd.DataFrame({"firearm_key": frame.index.to_numpy(object),
                         "dealer_counts": ("{" + body + "}").to_numpy(object)})


def decode(stored: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The shares :func:`encode` wrote (``stored``: key, dealer_counts; null: no share), as
    :func:`algorithms.dealers.gun_counts` frames."""
    traced: list[list[Any]] = []
    sales: list[list[Any]] = []
    for key, text in zip(stored["key"], stored["dealer_counts"], strict=True):
        if not isinstance(text, str):
            continue
        share = json.loads(text)
        if "traced" in share:
            traced.append([key, *share["traced"]])
        sales.extend([key, *item] for item in share.get("sales", []))
    return (pd.DataFrame(traced, columns=["firearm_key", "dealer_key", *dealer_scoring.GUN_TRACED]),
            pd.DataFrame(sales, columns=["firearm_key", "dealer_key", "sales", "multiple"]))


def write_guns(store: GraphStore, scores: dealer_scoring.DealerScores, guns: Iterable[str] = (), *,
               every: bool = False) -> int:
    """Store each counted gun's share (``Firearm.dealer_counts``); ``guns``: more guns to write (``"{}"`` when
    they have none). ``every`` (the full run): every gun was counted, so a gun whose stored share is stale (it has
    none now) is written ``"{}"`` too, and only the shares that differ from the stored ones are written. Returns
    the guns written."""
    if scores.gun_traced is None or scores.gun_sales is None:
        return 0
    wanted = set(guns)
    was = None
    if every:
        was = store.node_table("Firearm", (GUN_PROPERTY,)).to_pandas()
        wanted |= set(was.loc[was[GUN_PROPERTY].notna() & (was[GUN_PROPERTY] != "{}"), "key"])
    frame = encode(scores.gun_traced, scores.gun_sales, wanted)
    if was is not None and len(frame):  # only the shares that differ from the stored ones (a weekly run: few)
        stored = frame["firearm_key"].map(pd.Series(was[GUN_PROPERTY].to_numpy(object),
                                                    index=was["key"].to_numpy(object)))
        frame = frame[(stored.to_numpy(object) != frame["dealer_counts"].to_numpy(object))]
    if len(frame):
        store.upsert_nodes("Firearm", frame)
    return len(frame)


def _shares(store: GraphStore, guns: set[str]) -> pd.DataFrame:
    found = store.query("dealer_counts_of_guns", {"keys": sorted(guns)}).df() if guns else pd.DataFrame()
    return found if len(found) else pd.DataFrame({"key": pd.Series(dtype=object),
                                                  "dealer_counts": pd.Series(dtype=object)})


def update(store: GraphStore, guns: set[str], old_batches: Mapping[str, str], new_batches: Mapping[str, str],
           dealer_nodes: pd.DataFrame, before: pd.DataFrame) -> dealer_scoring.DealerScores:
    """The counts of the dealers ``guns`` count for, now or at the last analysis: their stored counts (``before``)
    minus what ``guns`` counted then (their stored shares, ``Firearm.dealer_counts``) plus what they count now
    (their rows read by key, :func:`algorithms.trace_rows.of_firearms`). ``guns``: every gun whose rows or serial
    batch changed (``old_batches`` / ``new_batches``: firearm_key -> batch_id before and after). A stopped event
    of a batch is the batch's, so the guns sharing a batch with one of ``guns`` (before or after) are folded in with
    their stored shares (unchanged, they count alike on both sides for everything else). Returns the recounted
    dealers' counts (``counts``) and the shares of ``guns`` now (``gun_traced``, ``gun_sales``)."""
    from algorithms import trace_rows

    lots = {old_batches.get(g) for g in guns} | {new_batches.get(g) for g in guns}
    lots.discard(None)
    mates = {g for g, b in old_batches.items() if b in lots} | {g for g, b in new_batches.items() if b in lots}
    mates -= guns
    then_traced, then_sales = decode(_shares(store, guns | mates))
    now_traced, now_sales = dealer_scoring.gun_counts(trace_rows.of_firearms(store, guns, dealer_nodes))
    mate_traced = then_traced[isin(then_traced["firearm_key"], mates)]
    was = dealer_scoring.fold(then_traced, then_sales, old_batches)
    now = dealer_scoring.fold(pd.concat([now_traced, mate_traced], ignore_index=True),
                              pd.concat([now_sales, then_sales[isin(then_sales["firearm_key"], mates)]],
                                        ignore_index=True), new_batches)
    dealers = was.index.union(now.index)
    if not len(dealers):
        fresh = pd.DataFrame(columns=list(dealer_scoring.COUNT_COLUMNS), dtype="int64")
    else:
        fresh = (before.reindex(dealers).fillna(0).astype("int64") + now.reindex(dealers).fillna(0).astype("int64")
                 - was.reindex(dealers).fillna(0).astype("int64"))
        fresh.index.name = "dealer_key"
    if (fresh < 0).any().any():  # a stored count the shares did not add up to: the store was changed around them
        raise NeedsFullAnalysis("the stored dealer counts and the guns' shares disagree (the store changed "
                                "outside a load): run a full `tracegraph analyze`")
    return dealer_scoring.DealerScores(table=pd.DataFrame(), parameters={}, counts=fresh, gun_traced=now_traced,
                                       gun_sales=now_sales)


def merged(before: pd.DataFrame, fresh: pd.DataFrame) -> pd.DataFrame:
    """The stored counts with the recounted dealers' replaced (a dealer recounted to nothing drops out)."""
    kept = before.drop(index=before.index.intersection(fresh.index))
    out = pd.concat([kept, fresh[(fresh != 0).any(axis=1)]])
    out.index.name = "dealer_key"
    return out.sort_index()


def migrate(store: GraphStore) -> int:
    """Count every dealer, and each gun's share, once on a store analysed before they were stored (the stopped
    events folding the serial batches the last analysis wrote, ``Firearm.batch_id``), write them and mark the
    latest analysis as holding them; what the first incremental run does otherwise. Returns the dealers counted."""
    from algorithms.runs import mark_latest_analysis
    from algorithms.tables import load_tables

    store.init_schema()
    was = store.query("firearms_batched").df()
    lots = [Batch(batch_id=str(batch_id), manufacturer="", model="", firearm_keys=tuple(group["key"]), serials=(),
                  score=0.0) for batch_id, group in (was.groupby("batch_id") if len(was) else [])]
    t = load_tables(store)
    scores = dealer_scoring.score(t, batches=lots)
    store.upsert_nodes("Dealer", rows(scores.counts))
    write_guns(store, scores, every=True)
    mark_latest_analysis(store, "dealer_counts")
    mark_latest_analysis(store, GUN_FLAG)
    return len(scores.counts)
