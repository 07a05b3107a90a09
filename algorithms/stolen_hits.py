"""Every recovery checked against the lost/stolen reports.

Matching rule: a recovery is a *hit* when its firearm node is named by a ``TheftReport`` (``REPORTED_STOLEN``).
Both the trace loader and the stolen loader key firearms with :func:`loaders.domain.parsing.firearm_keys` (normalised
manufacturer + serial + weapon type), so the two records meet on one node whichever file is loaded first; a gun
without a usable serial never matches (its key is unique to its record). The check runs after every ``stolen``
and ``traces`` load (the load commands pass :func:`after_load` to :func:`loaders.base.run_load`) and in
``tracegraph analyze`` (every recovery; in ``analyze --incremental`` only for the loads that did not run the
check themselves, :func:`unchecked`, and after trace loads only the recoveries those loads wrote:
:func:`runs_to_check`); it writes ``Recovery.reported_stolen`` /
``stolen_report_id`` (the earliest report) and ``Firearm.reported_stolen``: computed values, so it lives with the
analytics, not with the loaders.

``days_report_to_recovery`` is ``recovery_date - reported_date``: positive when the gun was reported before it
was recovered. A report filed only after the recovery is listed too but flagged: a purchaser who claims a theft
only once the gun has surfaced is a known straw-purchase cover story (ATF, *Following the Gun*, 2000), so only
reports filed before the recovery count as evidence of theft in the straw analytics.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from graph.store import GraphStore, written_rels

HIT_COLUMNS = ("trace_id", "recovery_date", "recovery_city", "recovery_state", "recovery_country", "firearm_key",
               "manufacturer", "model", "serial_number", "report_id", "reported_date", "reporter_kind", "reporter",
               "reporter_dealer_key", "report_country", "source_form", "days_report_to_recovery",
               "reported_before_recovery")


#: At most this many recoveries are read by key (:func:`hits` with ``recoveries``); a larger run's (a history's
#: batches) by a scan of every recovery's run id, which costs the same whatever the run's size (~0.19 CPU s over
#: the national world's 1M recoveries, against ~0.01 for a day's 2,300 by key)
KEYED_AT_MOST = 50_000


def hits(store: GraphStore, runs: list[str] | None = None, recoveries: list[str] | None = None) -> pd.DataFrame:
    """One row per (recovery, report) for recovered guns named by a lost/stolen report (``HIT_COLUMNS``); with
    ``runs``, only for the recoveries those load runs wrote. ``recoveries`` (with ``runs``): the trace ids of every
    recovery those runs wrote (:attr:`loaders.base.Loader.recoveries`), read by key; the same rows as the scan of
    the run ids, which finds no recovery outside them."""
    if runs is None:
        frame = store.query("stolen_hits").df()
    elif recoveries and len(recoveries) <= KEYED_AT_MOST:
        frame = store.query("stolen_hits_of_recoveries", {"keys": sorted(set(recoveries)), "runs": runs}).df()
    else:
        frame = store.query("stolen_hits_of_runs", {"runs": runs}).df()
    frame = _with_written(store, frame, runs, recoveries)
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in HIT_COLUMNS})
    recovered = pd.to_datetime(frame["recovery_date"])
    reported = pd.to_datetime(frame["reported_date"])
    days = (recovered - reported).dt.days
    frame["days_report_to_recovery"] = days.astype("Int64")
    frame["reported_before_recovery"] = (days >= 0).astype("boolean").where(days.notna())
    return frame[list(HIT_COLUMNS)].reset_index(drop=True)


def _with_written(store: GraphStore, frame: pd.DataFrame, runs: list[str] | None,
                  recoveries: list[str] | None) -> pd.DataFrame:
    """``frame`` (the hit statement's rows) with the hits it missed among the recoveries and reports the store's open
    transaction wrote (a day's files: a lost/stolen file, then traces recovering its guns). Inside it LadybugDB 0.22
    misses them at nodes added past a node group's first 2,048 new rows (docs/performance.md, fault24): the reports
    of the guns of the kept ``RECOVERED_IN`` and ``REPORTED_STOLEN`` rows are read by key from the gun (one read;
    the recoveries too for the guns the transaction reported), the kept rows added, and the missing hits' columns
    read node by node. Nothing is read outside such a transaction."""
    recovered = _kept(store, "RECOVERED_IN", "Recovery", "trace_id")
    reported = _kept(store, "REPORTED_STOLEN", "TheftReport", "report_id")
    if recovered is None and reported is None:
        return frame
    if recovered is not None and recoveries is not None:
        recovered = recovered[recovered["trace_id"].isin(set(recoveries))]
    named = [] if reported is None else sorted(set(reported["firearm_key"]))
    guns = sorted(set(named) | (set() if recovered is None else set(recovered["firearm_key"])))
    reports = pd.concat([store.query("stolen_reports_of_guns", {"keys": guns}).df().reindex(
        columns=["firearm_key", "report_id"]), reported], ignore_index=True).drop_duplicates()
    if reports.empty:
        return frame
    held = [recovered] if recovered is not None else []
    if named:  # the earlier recoveries of guns the transaction reported stolen
        held.append(store.query("stolen_recoveries_of_guns", {"keys": named}).df().reindex(
            columns=["firearm_key", "trace_id"]))
    both = pd.concat(held, ignore_index=True).drop_duplicates().merge(reports, on="firearm_key")
    if recoveries is not None:
        both = both[both["trace_id"].isin(set(recoveries))]
    if len(frame):
        seen = set(zip(frame["trace_id"], frame["report_id"], strict=True))
        both = both[[(t, r) not in seen for t, r in zip(both["trace_id"], both["report_id"], strict=True)]]
    if both.empty:
        return frame
    added = store.query("stolen_hits_of_pairs", {"rows": both.to_dict("records")}).df()
    if runs is not None:
        added = added[added["load_run_id"].isin(set(runs))]
    added = added.drop(columns="load_run_id")
    if added.empty:
        return frame
    merged = pd.concat([frame, added], ignore_index=True) if len(frame) else added
    return merged.sort_values(["trace_id", "report_id"], ignore_index=True)


def _kept(store: GraphStore, rel_type: str, to_label: str, to_column: str) -> pd.DataFrame | None:
    """The relationships of a gun to ``to_label`` the store's open transaction wrote: firearm_key, ``to_column``."""
    rows = written_rels(store, rel_type, "Firearm", to_label)
    if rows is None or rows.num_rows == 0:
        return None
    return rows.select(["from_key", "to_key"]).to_pandas().set_axis(["firearm_key", to_column], axis=1)


def mark_hits(store: GraphStore, runs: list[str] | None = None, recoveries: list[str] | None = None) -> int:
    """Write the stolen flags on the recoveries and firearms that hit a report; returns the recoveries flagged.
    ``runs``: only the recoveries those trace load runs wrote (:func:`runs_to_check`); ``recoveries``: their trace
    ids, when the caller knows every one (:func:`hits`)."""
    found = hits(store, runs, recoveries)
    if found.empty:
        return 0
    earliest = found.sort_values(["trace_id", "reported_date", "report_id"]).drop_duplicates("trace_id")
    store.upsert_nodes("Recovery", pd.DataFrame({
        "trace_id": earliest["trace_id"].astype(str), "reported_stolen": True,
        "stolen_report_id": earliest["report_id"].astype(str)}))
    guns = found["firearm_key"].drop_duplicates().astype(str)
    store.upsert_nodes("Firearm", pd.DataFrame({"firearm_key": guns, "reported_stolen": True}))
    return len(earliest)


#: The loads that can create or resolve a hit.
CHECKED_AFTER = frozenset({"traces", "stolen"})


def runs_to_check(kinds: dict[str, str]) -> list[str] | None:
    """Which recoveries a check after the load runs ``kinds`` (run id -> kind) must read: None for every one (a
    lost/stolen report can name a gun recovered years ago, and a corrected one moves the earliest report of guns
    it no longer names), else the recoveries of the trace runs (a recovery's hits depend on its own gun's reports
    only, and a re-loaded trace's recovery is written again by its run). Reading only those writes the same flags
    as reading every hit: the others were written by the check after their own load."""
    if any(kind == "stolen" for kind in kinds.values()):
        return None
    return sorted(run for run, kind in kinds.items() if kind == "traces")


#: the load run detail the check after a load writes (:func:`after_load`): the run's hits are marked already
CHECKED_DETAIL = "recoveries_reported_stolen"


def unchecked(store: GraphStore, kinds: dict[str, str]) -> dict[str, str]:
    """The runs of ``kinds`` (run id -> kind) whose load did not run the check (:func:`after_load`: every load
    command does; a loader called without the hook does not): what an incremental analysis checks. A run checked
    at its load needs no second check: a traces run's hits depend on the reports loaded before it, and a lost/stolen
    load checked every recovery then; a later report is a later lost/stolen run with its own check."""
    runs = [r for r in store.node_table("LoadRun", ("details",)).to_pylist() if r["key"] in kinds]
    checked = {str(r["key"]) for r in runs if CHECKED_DETAIL in json.loads(r["details"] or "{}")}
    return {run: kind for run, kind in kinds.items() if run not in checked}


def after_load(store: GraphStore, kind: str, run_id: str, recoveries: list[str] | None = None) -> dict[str, Any]:
    """The derived work after a load of ``kind`` (``LoadOptions.after_load``): the stolen-hit check after traces
    and lost/stolen reports; its count joins the load run's details (after a traces load, the count of its own
    recoveries that hit a report; after a lost/stolen load, of every recovery). ``recoveries``: the trace ids of
    the recoveries the run wrote (:attr:`loaders.base.Loader.recoveries`), when the loader kept them: a traces
    run's are then read by key."""
    if kind not in CHECKED_AFTER:
        return {}
    runs = runs_to_check({run_id: kind})
    return {CHECKED_DETAIL: mark_hits(store, runs, recoveries if runs is not None else None)}
