"""Serial groups kept in the store, so an incremental analysis finds the serial batches (:mod:`algorithms.batches`)
from the groups a day's recovered guns fall in instead of splitting and sorting every recovered gun's serial.

A serial group is the recovered guns of one make, model and serial format (``SerialGroup``: its size and its
number of runs of close serials; ``Firearm.serial_group`` on each member). The full analysis writes every group.
An incremental run: the guns recovered in the new traces that were in no group join theirs (the touched groups);
the touched groups' members are read back (each group by its key, its members through ``IN_GROUP``: a read that
grows with the touched groups, not with the firearms) and their runs found and scored exactly as the
full run does. The Bonferroni count (groups holding a run) is the stored count plus the touched groups that now
hold one (a group never loses its run by gaining guns, so the count only rises). A batch in an untouched group
keeps its members; only its score falls as the count rises: it is rescored from its stored group size and its
members' serials, and dropped when it falls below :data:`algorithms.batches.SIGNIFICANT`. An untouched run that
was not significant cannot become so. So the batches equal a full re-analysis exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa

from algorithms import batches as serial_batches
from algorithms.batches import Batch
from algorithms.tables import AnalysisTables, isin
from graph.store import GraphStore

GROUP_COLUMNS = ["group_key", "size", "runs"]
#: the analysis parameter ``serial_groups`` of a store whose groups are stored with their members linked
#: (``IN_GROUP``); 1: the groups without the links (an incremental run then writes them all again, once)
STORED = 2


@dataclass(frozen=True)
class SerialState:
    """What an analysis writes: the significant batches, the groups (all, or the touched ones), the firearms
    whose ``serial_group`` is new, and the batch membership changes (``None``: rewrite every batch)."""

    batches: list[Batch]
    groups: pd.DataFrame                     # group_key, size, runs
    members: pd.DataFrame                    # firearm_key, serial_group (new members only on an increment)
    batch_set: pd.DataFrame | None = None    # firearm_key, batch_id: guns whose batch is new or changed
    batch_cleared: list[str] = field(default_factory=list)  # guns that left their batch
    full: bool = True                        # groups and members are every one (clear and rewrite)
    #: firearm_key -> batch_id as stored before this analysis (read by :func:`update`; None: not read), which the
    #: dealer counts' delta needs too (algorithms.incremental._dealers)
    batched: dict[str, str] | None = None


def of_tables(t: AnalysisTables, found: list[Batch]) -> SerialState:
    """Every group of the recovered guns (the full analysis; ``found``: its significant batches)."""
    recovered = t.firearms[isin(t.firearms["key"], t.recovered["src"])]
    grouped = serial_batches.serial_groups(recovered)
    _members, groups = serial_batches.runs(grouped)
    return SerialState(batches=found, groups=groups[GROUP_COLUMNS],
                       members=pd.DataFrame({"firearm_key": grouped["key"], "serial_group": grouped["group_key"]}))


def _df(store: GraphStore, statement: str, params: dict[str, Any], columns: list[str]) -> pd.DataFrame:
    found = store.query(statement, params).df()
    return found if len(found) else pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


SERIAL_COLUMNS = ["key", "serial_normalized", "manufacturer_normalized", "model", "serial_group"]


def update(store: GraphStore, traces: set[str]) -> SerialState:
    """The serial batches after the guns recovered in ``traces`` joined their groups (see the module text)."""
    recovered = _df(store, "serial_group_recovered", {"traces": sorted(traces)}, SERIAL_COLUMNS)
    grouped = serial_batches.serial_groups(recovered)
    joining = grouped[grouped["serial_group"].isna()]
    touched = sorted(set(joining["group_key"]))
    stored = _df(store, "firearms_batched", {}, ["key", "batch_id"])
    tests = int(store.query("serial_groups_tests").df()["tests"].iloc[0])
    members = _df(store, "serial_group_members", {"groups": touched}, [*SERIAL_COLUMNS, "batch_id"]) \
        if touched else pd.DataFrame(columns=[*SERIAL_COLUMNS, "batch_id"])
    everyone = pd.concat([members[SERIAL_COLUMNS], joining[SERIAL_COLUMNS]], ignore_index=True)
    everyone = everyone.drop_duplicates("key")
    run_members, groups = serial_batches.runs(serial_batches.serial_groups(everyone))
    before = _df(store, "serial_groups_get", {"keys": touched}, GROUP_COLUMNS) if touched \
        else pd.DataFrame(columns=GROUP_COLUMNS)
    tests += int((groups["runs"] > 0).sum()) - int((pd.to_numeric(before["runs"]) > 0).sum())
    found = serial_batches.scored_runs(run_members, tests, min_score=serial_batches.SIGNIFICANT)
    found += _rescored(store, stored, set(touched), tests)
    found.sort(key=lambda b: (-b.score, -b.size, b.batch_id))
    new = {key: batch.batch_id for batch in found for key in batch.firearm_keys}
    old = dict(zip(stored["key"], stored["batch_id"], strict=True))
    changed = sorted(key for key in new if old.get(key) != new[key])
    return SerialState(
        batches=found, groups=groups[GROUP_COLUMNS],
        members=pd.DataFrame({"firearm_key": joining["key"], "serial_group": joining["group_key"]}),
        batch_set=pd.DataFrame({"firearm_key": changed, "batch_id": [new[k] for k in changed]}),
        batch_cleared=sorted(set(old) - set(new)), full=False, batched=old)


def _rescored(store: GraphStore, stored: pd.DataFrame, touched: set[str], tests: int) -> list[Batch]:
    """The stored batches outside the touched groups, rescored against ``tests`` groups (the significant ones)."""
    if stored.empty:
        return []
    guns = _df(store, "firearms_serials_get", {"keys": sorted(stored["key"])}, SERIAL_COLUMNS)
    guns = guns.merge(stored, on="key")
    guns = guns[~isin(guns["serial_group"], touched)]
    if guns.empty:
        return []
    sizes = _df(store, "serial_groups_get", {"keys": sorted(set(guns["serial_group"]))}, GROUP_COLUMNS)
    size_of = dict(zip(sizes["group_key"], pd.to_numeric(sizes["size"]), strict=True))
    parts = serial_batches.serial_groups(guns.drop(columns=["serial_group"]))
    parts = parts.sort_values(["number", "serial_normalized"], kind="stable")
    out = []
    for batch_id, rows in parts.groupby("batch_id", sort=False):
        span = int(rows["number"].max() - rows["number"].min())
        score = serial_batches.chance_score(int(size_of[rows["group_key"].iloc[0]]), len(rows), span,
                                            int(rows["digits"].iloc[0]), tests=tests)
        if score >= serial_batches.SIGNIFICANT:
            out.append(Batch(batch_id=str(batch_id), manufacturer=str(rows["make"].iloc[0]),
                             model=str(rows["model"].iloc[0] or ""),
                             firearm_keys=tuple(str(k) for k in rows["key"]),
                             serials=tuple(str(s) for s in rows["serial_normalized"]), score=score))
    return out


def write(store: GraphStore, state: SerialState, run: str) -> None:
    """The groups, the new members' ``serial_group`` and ``IN_GROUP`` link, and the batch membership (what
    changed, on an increment)."""
    if state.full:
        store.query("serial_groups_clear")  # the groups and their IN_GROUP links
        store.query("firearms_batches_clear")
        members = [(key, batch.batch_id) for batch in state.batches for key in batch.firearm_keys]
        if members:
            store.upsert_nodes("Firearm", pd.DataFrame(members, columns=["firearm_key", "batch_id"]))
    else:
        if state.batch_cleared:
            store.query("firearms_batch_clear_keys", {"keys": state.batch_cleared})
        if state.batch_set is not None and len(state.batch_set):
            store.upsert_nodes("Firearm", state.batch_set)
    if len(state.groups):
        store.upsert_nodes("SerialGroup", state.groups.astype({"size": "int64", "runs": "int64"}).assign(
            analysis_run_id=run))
    _write_members(store, state.members)


def _write_members(store: GraphStore, members: pd.DataFrame) -> None:
    """``members`` (firearm_key, serial_group): guns in no group until now (every one after a clear). The links
    first: a gun whose ``serial_group`` is written is never read as joining again, so its link must be there."""
    if not len(members):
        return
    guns = pa.array(members["firearm_key"].astype(str).tolist(), pa.string())
    store.upsert_relationships("IN_GROUP", "Firearm", "SerialGroup", pd.DataFrame({
        "from_key": members["firearm_key"], "to_key": members["serial_group"]}), created_from=guns)
    store.upsert_nodes("Firearm", members)


def migrate(store: GraphStore) -> int:
    """Group every recovered gun once on a store analysed before the groups were stored (the batches as the last
    analysis wrote them stay), write them and mark the latest analysis as holding them; what the first incremental
    run does otherwise. Returns the groups written."""
    from algorithms.runs import mark_latest_analysis
    from algorithms.tables import load_tables

    store.init_schema()
    state = of_tables(load_tables(store), [])
    store.query("serial_groups_clear")
    store.upsert_nodes("SerialGroup", state.groups.astype({"size": "int64", "runs": "int64"}))
    _write_members(store, state.members)
    mark_latest_analysis(store, "serial_groups", STORED)
    return len(state.groups)
