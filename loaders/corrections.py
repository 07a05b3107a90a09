"""A trace record loaded again with other facts (a corrected record) replaces its earlier version.

eTrace results change after they are first exported: a trace completes with a purchaser, an agency corrects a
recovery city, a purchaser's name or the purchase date is fixed. A re-load writes the record under its own key
(``trace_id``), so its node properties are overwritten; but relationships are keyed by their endpoints, so the
earlier purchaser, gun, possessor and recovery places would stay beside the new ones (two purchasers of one sale).
The traces loader reads the stored version of every record of a batch first (one keyed statement,
``cypher/trace_versions.cypher``; nothing comes back for new records) and, once the batch is written, deletes the
relationships the record no longer states.

A correction can also take a person out of a straw group (another dealer-day, another city); the incremental
analysis only adds to groups, so a load with corrections records how many (``LoadRun.details.corrected``) and
the next analysis is a full one (:func:`algorithms.runs.new_load_runs`). A record loaded again with the same facts,
or with facts only added (a purchaser where there was none, a completed trace), is not a correction.
"""

from __future__ import annotations

import pandas as pd

from graph.store import GraphStore

#: facts of a record whose earlier, non-empty value a correction changed (beside its relationships)
FACTS = ("purchase_date", "dealer_key", "time_to_crime_days", "report_id")


def versions(store: GraphStore, trace_ids: pd.Series) -> pd.DataFrame:
    """The stored versions of the records ``trace_ids`` already in the store (none for new records): read before
    the new versions are written."""
    return store.query("trace_versions", {"ids": trace_ids.tolist()}).df()


def _days(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce").dt.strftime("%Y-%m-%d")


def _differs(old: pd.Series, new: pd.Series) -> pd.Series:
    """Whether an earlier non-empty value is gone or different."""
    return old.notna() & (new.isna() | (old != new))


def replace_earlier(store: GraphStore, earlier: pd.DataFrame, now: pd.DataFrame, places: pd.DataFrame) -> list[str]:
    """Delete the relationships of the ``earlier`` versions (:func:`versions`) that the records ``now`` written no
    longer state; return the trace ids whose earlier version stated other facts (corrections).

    ``now``: the records loaded (trace_id, firearm_key, purchaser_key, possessor_key and :data:`FACTS`);
    ``places``: their recovery places (from_key = trace_id, to_key = location key)."""
    if earlier.empty:
        return []
    both = earlier.merge(now, on="trace_id", how="left", suffixes=("", "_now"))
    for column in ("purchase_date", "purchase_date_now"):
        both[column] = _days(both[column])
    for column in ("time_to_crime_days", "time_to_crime_days_now"):
        both[column] = pd.to_numeric(both[column], errors="coerce")
    new_gun = _differs(both["firearm_key"], both["firearm_key_now"])
    old_buyer = both["purchaser_key"].notna() & (new_gun | _differs(both["purchaser_key"], both["purchaser_key_now"]))
    old_holder = _differs(both["possessor_key"], both["possessor_key_now"])
    stated = set(zip(places["from_key"], places["to_key"], strict=True))
    old_place = both["location_key"].notna() & ~pd.Series(
        [(t, loc) in stated for t, loc in zip(both["trace_id"], both["location_key"], strict=True)], index=both.index)
    drops = {
        "trace_drop_purchases": pd.DataFrame({"person": both["purchaser_key"], "firearm": both["firearm_key"],
                                              "sale_id": "trace:" + both["trace_id"]})[old_buyer],
        "trace_drop_recovered_in": pd.DataFrame({"firearm": both["firearm_key"],
                                                 "trace_id": both["trace_id"]})[new_gun],
        "trace_drop_possessors": pd.DataFrame({"trace_id": both["trace_id"],
                                               "person": both["possessor_key"]})[old_holder],
        "trace_drop_places": pd.DataFrame({"trace_id": both["trace_id"],
                                           "location": both["location_key"]})[old_place],
    }
    corrected = new_gun | old_buyer | old_holder | old_place
    for fact in FACTS:
        corrected |= _differs(both[fact], both[f"{fact}_now"])
    for name, rows in drops.items():
        if len(rows):
            store.query(name, {"rows": rows.drop_duplicates().to_dict("records")})
    return sorted(set(both.loc[corrected, "trace_id"]))
