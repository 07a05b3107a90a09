"""The straw lookup keys' rules (``StrawKey``, :mod:`loaders.straw_keys` writes them): which key names which gun,
quick recovery or dealer, from the rows stored for a gun. Shared with the analytics (the quick threshold, the mark
an incremental run checks before reading by key)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from graph.store import GraphStore

#: A recovery is *quick* within this many days of the purchase (ATF's short time-to-crime threshold); the straw
#: features' recovered-together, supply-line and corridor groups hold the quick recoveries only
QUICK_DAYS = 1095
#: the StrawKey marking a store whose every gun is keyed (for this quick threshold: another one keys again)
MARK = f"*|{QUICK_DAYS}"
NO_DEALER = "?"


def marked(store: GraphStore) -> bool:
    """Whether every stored gun is under its keys (the mark is stored)."""
    return bool(len(store.query("straw_keys_marked", {"key": MARK}).df()))


def entries(records: pd.DataFrame, sold: pd.DataFrame, quick: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The keys of guns from their stored rows: ``records`` (firearm_key, dealer_key, purchase_date, multiple_sale,
    report_id), ``sold`` (src dealer, dst firearm, sale_date), ``quick`` (firearm_key, trace_id, location_key: their
    quick recoveries). Returns from_key/to_key rows per endpoint label (Firearm, Recovery, Dealer)."""
    dealers = pd.concat([records[["firearm_key", "dealer_key"]].rename(columns={"dealer_key": "dealer"}),
                         sold.rename(columns={"dst": "firearm_key", "src": "dealer"})[["firearm_key", "dealer"]]],
                        ignore_index=True).dropna().drop_duplicates()
    days = pd.concat([records[["firearm_key", "purchase_date"]].rename(columns={"purchase_date": "day"}),
                      sold.rename(columns={"dst": "firearm_key", "sale_date": "day"})[["firearm_key", "day"]]],
                     ignore_index=True).dropna()
    days = days.assign(day=pd.to_datetime(days["day"]).dt.strftime("%Y-%m-%d")).drop_duplicates()
    dealer_days = dealers.merge(days, on="firearm_key")
    guns = [pd.DataFrame({"from_key": dealer_days["firearm_key"],
                          "to_key": "jp|" + dealer_days["dealer"].astype(str) + "|" + dealer_days["day"]})]
    reported = records[records["multiple_sale"].fillna(False).astype(bool).to_numpy()
                       & records["report_id"].notna().to_numpy()]
    counter = dealers[dealers["firearm_key"].isin(set(reported["firearm_key"]))]
    guns.append(pd.DataFrame({"from_key": counter["firearm_key"], "to_key": "sc|" + counter["dealer"].astype(str)}))
    lines = quick.merge(dealers, on="firearm_key", how="left")
    lines["dealer"] = lines["dealer"].fillna(NO_DEALER).astype(str)
    recoveries = pd.DataFrame({"from_key": lines["trace_id"],
                               "to_key": "sl|" + lines["dealer"] + "|" + lines["location_key"].astype(str)})
    listed = lines[lines["dealer"] != NO_DEALER]
    places = pd.DataFrame({"from_key": listed["dealer"], "to_key": "ql|" + listed["location_key"].astype(str)})
    return {label: frame.drop_duplicates().reset_index(drop=True)
            for label, frame in (("Firearm", pd.concat(guns, ignore_index=True)), ("Recovery", recoveries),
                                 ("Dealer", places))}
