"""The figures of ``tracegraph evaluate``: the written-back analysis against a truth file, beside baselines."""

from __future__ import annotations

from typing import Any

import pandas as pd

from algorithms import evaluate, straw_features
from algorithms.tables import AnalysisTables, load_tables
from graph.errors import InvalidInput
from graph.store import GraphStore


def baselines(values: pd.DataFrame) -> dict[str, pd.Series]:
    """What an analyst does today with a spreadsheet of traces: sort purchasers by guns recovered within 3
    years, then also by multiple-sale reports."""
    recovered_3y = (values["short_ttc_1y_other"] + values["short_ttc_3y_other"]
                    + values["short_ttc_unknown_possessor"])
    return {"recovered_within_3y": recovered_3y.astype(float),
            "plus_multiple_sales": (recovered_3y + values["multiple_sale_reports"]).astype(float)}


def analysis_figures(truth: dict[str, Any], tables: AnalysisTables, values: pd.DataFrame, ranked: pd.DataFrame,
                     membership: pd.Series, dealers: pd.DataFrame,
                     ties: pd.DataFrame | None = None) -> dict[str, Any]:
    """Straw, ring and dealer figures of one analysis held in memory (the sensitivity study's path).

    ``values``: straw feature values (for the baselines); ``ranked``: person_key, most suspicious first;
    ``membership``: person_key -> network id; ``dealers``: dealer_key, score, traces; ``ties``: the person pairs
    the networks were built from (the ring figures then tell rings with no tie among them from split ones)."""
    order = dealers.sort_values(["score", "dealer_key"], ascending=[False, True])
    return {"straw": evaluate.straw_metrics(truth, tables.purchases, ranked, baselines(values)),
            "rings": evaluate.ring_metrics(truth, tables.purchases, membership, ties),
            "dealers": evaluate.dealer_metrics(truth, order, dealers.set_index("dealer_key")["traces"])}


def scorecard(store: GraphStore, truth: dict[str, Any]) -> dict[str, Any]:
    if "straw_purchasers" not in truth:
        raise InvalidInput("not a tracegraph truth file: no straw_purchasers")
    tables = load_tables(store)
    persons = store.node_table("Person", ("straw_score",)).to_pandas()  # the queue's order (ranks are not stored)
    ranked = persons.dropna(subset=["straw_score"]).sort_values(["straw_score", "key"], ascending=[False, True])
    if ranked.empty:
        raise InvalidInput("no analysis in this store yet: run `tracegraph analyze` first")
    features = straw_features.compute(tables)
    figures: dict[str, Any] = {"straw": evaluate.straw_metrics(
        truth, tables.purchases, ranked.rename(columns={"key": "person_key"}), baselines(features.values))}
    # every member (possessors too: a network's size counts everyone in it), not only the ranked purchasers
    members = store.edge_list("MEMBER_OF", "Person", "Network").to_pandas()  # the membership fact
    membership = members.set_index("src")["dst"].rename("network_id").rename_axis("key")
    figures["rings"] = evaluate.ring_metrics(truth, tables.purchases, membership, features.pairs)
    dealers = store.node_table("Dealer", ("anomaly_score", "trace_count")).to_pandas().dropna(
        subset=["anomaly_score"])
    order = dealers.sort_values(["anomaly_score", "key"], ascending=[False, True]).rename(
        columns={"key": "dealer_key"})
    figures["dealers"] = evaluate.dealer_metrics(truth, order, dealers.set_index("key")["trace_count"])
    if truth.get("batches"):
        from algorithms.batches import batches

        recovered = tables.firearms.loc[tables.firearms["key"].isin(set(tables.recovered["src"])),
                                        "serial_normalized"]
        figures["batches"] = evaluate.batch_metrics(truth, batches(tables), set(recovered.dropna()))
    figures["serial_matching"] = evaluate.serial_match_metrics(tables.firearms)
    return figures
