"""Choke points for interdiction: which dealers, persons, cities and corridors carry the most recovered-gun flow.

Every traced recovery is one unit of flow along a known path: selling dealer (in its city) -> purchaser (in their
home city) -> recovery place. Because each gun's path is known, the drop in source -> recovery flow when a node is
removed is exact: it is the flow on the paths through that node (network interdiction on a path decomposition;
Wood 1993, "Deterministic network interdiction", Math. Comput. Modelling 17(2); the flow-removal view of
centrality in Borgatti 2005, "Centrality and network flow", Social Networks 27). Each recovery weighs

    1 + [time to crime <= 3 years] + [recovered outside the selling dealer's state or abroad]

so a quick, interstate recovery (ATF's trafficking indicators) counts three times a slow local one.

* **dealer** — recoveries of guns it sold;
* **person** — recoveries of guns they bought (the trace's purchaser) or possessed;
* **city** — recoveries whose gun passed through the city before surfacing elsewhere: sold there or bought by a
  resident, and recovered in another city (a local recovery stops nothing upstream);
* **corridor** — recoveries moving from the dealer's state to another state or country.

``share`` is ``flow_stopped`` over the weighted flow of every recovery with a known selling dealer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from algorithms.tables import AnalysisTables

KINDS = ("dealer", "person", "city", "corridor")
SHORT_TTC_DAYS = 3 * 365
COLUMNS = ["rank", "kind", "key", "name", "flow_stopped", "share", "recovered_guns", "evidence"]


@dataclass(frozen=True)
class Chokepoints:
    table: pd.DataFrame   # COLUMNS, ranked within each kind
    total_flow: float


def chains(t: AnalysisTables) -> pd.DataFrame:
    """One row per recovery with a known selling dealer: trace_id, dealer_key, purchaser_key, places, weight."""
    rec = t.recovered.rename(columns={"src": "firearm_key", "dst": "trace_id"}).merge(
        t.recoveries.rename(columns={"key": "trace_id"}), on="trace_id", how="inner")
    sold = t.sold.rename(columns={"src": "dealer_key", "dst": "firearm_key"}).drop_duplicates("firearm_key")
    rec = rec.merge(sold[["dealer_key", "firearm_key"]], on="firearm_key", how="inner")
    dealers = t.dealers.rename(columns={"key": "dealer_key"})[["dealer_key", "premise_city", "premise_state"]]
    rec = rec.merge(dealers, on="dealer_key", how="left")
    traced = t.purchases[t.purchases["sale_id"].astype(str).str.startswith("trace:")]
    buyer = pd.DataFrame({"trace_id": traced["sale_id"].str.slice(6), "purchaser_key": traced["src"]}
                         ).drop_duplicates("trace_id")
    rec = rec.merge(buyer, on="trace_id", how="left")
    homes = t.persons.rename(columns={"key": "purchaser_key", "city": "purchaser_city",
                                      "state": "purchaser_state"})[["purchaser_key", "purchaser_city",
                                                                    "purchaser_state"]]
    rec = rec.merge(homes, on="purchaser_key", how="left")
    country = rec["recovery_country"].fillna("US").astype(str).str.upper().replace("", "US")
    rec["destination_state"] = np.where(country == "US", rec["recovery_state"].fillna(""), country)
    rec["out_of_state"] = (country != "US") | (rec["recovery_state"].fillna("") != rec["premise_state"].fillna(""))
    ttc = pd.to_numeric(rec["time_to_crime_days"], errors="coerce")
    rec["short_ttc"] = (ttc <= SHORT_TTC_DAYS).fillna(False).astype(bool)
    rec["time_to_crime_days"] = ttc
    rec["weight"] = 1.0 + rec["short_ttc"].astype(float) + rec["out_of_state"].astype(float)
    rec["dealer_city"] = _city(rec["premise_city"], rec["premise_state"])
    rec["purchaser_city_key"] = _city(rec["purchaser_city"], rec["purchaser_state"])
    rec["recovery_city_key"] = np.where(country == "US", _city(rec["recovery_city"], rec["recovery_state"]),
                                        _city(rec["recovery_city"], country))
    return rec.drop_duplicates("trace_id").reset_index(drop=True)


def _city(city: pd.Series, state: pd.Series) -> pd.Series:
    name = city.fillna("").astype(str).str.upper().str.strip()
    region = state.fillna("").astype(str).str.upper().str.strip()
    return (name + ", " + region).where((name != "") & (region != ""), None)


def _rank(flows: pd.DataFrame, kind: str, total: float, names: dict[str, str], top: int) -> pd.DataFrame:
    """``flows``: one row per (key, trace) with the chain's weight, out_of_state, time_to_crime_days."""
    if flows.empty:
        return pd.DataFrame(columns=COLUMNS)
    grouped = flows.groupby("key").agg(flow_stopped=("weight", "sum"), recovered_guns=("trace_id", "nunique"),
                                       out_of_state=("out_of_state", "mean"),
                                       median_ttc=("time_to_crime_days", "median"))
    grouped = grouped.reset_index().sort_values(["flow_stopped", "recovered_guns", "key"],
                                                ascending=[False, False, True], kind="stable").head(top)
    grouped["rank"] = np.arange(1, len(grouped) + 1)
    grouped["kind"] = kind
    grouped["name"] = [names.get(key) or key for key in grouped["key"]]
    grouped["share"] = (grouped["flow_stopped"] / total).round(4) if total else 0.0
    grouped["evidence"] = [
        f"{guns} recovered gun{'s' * (guns != 1)}, {oos:.0%} out of state, median TTC "
        + (f"{ttc:.0f} days" if pd.notna(ttc) else "unknown")
        for guns, oos, ttc in zip(grouped["recovered_guns"], grouped["out_of_state"], grouped["median_ttc"],
                                  strict=True)]
    grouped["flow_stopped"] = grouped["flow_stopped"].round(2)
    return grouped[COLUMNS].reset_index(drop=True)


def chokepoints(t: AnalysisTables, *, kinds: tuple[str, ...] = KINDS, top: int = 20) -> Chokepoints:
    """Rank each kind by the weighted recovered-gun flow that would stop if it were disrupted (``top`` per
    kind). Hand-built graphs with known answers are in ``tests/matching/test_chokepoints.py``."""
    rec = chains(t)
    total = float(rec["weight"].sum())
    base = rec[["trace_id", "weight", "out_of_state", "time_to_crime_days"]]
    frames = []
    if "dealer" in kinds:
        names = t.dealers.set_index("key")["business_name"].fillna(t.dealers.set_index("key")["license_name"])
        frames.append(_rank(base.assign(key=rec["dealer_key"]), "dealer", total,
                            names.dropna().astype(str).to_dict(), top))
    if "person" in kinds:
        possessed = t.possessed.rename(columns={"src": "trace_id", "dst": "key"})
        roles = pd.concat([base.assign(key=rec["purchaser_key"]),
                           base.merge(possessed, on="trace_id", how="inner")], ignore_index=True)
        roles = roles.dropna(subset=["key"]).drop_duplicates(["key", "trace_id"])
        people = t.persons.set_index("key")
        names = (people["last_name"].fillna("") + ", " + people["first_name"].fillna("")).to_dict()
        frames.append(_rank(roles, "person", total, names, top))
    if "city" in kinds:
        upstream = pd.concat([base.assign(key=rec["dealer_city"], end=rec["recovery_city_key"]),
                              base.assign(key=rec["purchaser_city_key"], end=rec["recovery_city_key"])],
                             ignore_index=True)
        upstream = upstream.dropna(subset=["key"])
        upstream = upstream[upstream["key"] != upstream["end"]].drop_duplicates(["key", "trace_id"])
        frames.append(_rank(upstream, "city", total, {}, top))
    if "corridor" in kinds:
        moving = rec[rec["out_of_state"] & rec["premise_state"].notna() & (rec["destination_state"] != "")]
        keys = moving["premise_state"].astype(str) + "->" + moving["destination_state"].astype(str)
        frames.append(_rank(base.loc[moving.index].assign(key=keys), "corridor", total, {}, top))
    table = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else \
        pd.DataFrame(columns=COLUMNS)
    return Chokepoints(table=table, total_flow=total)
