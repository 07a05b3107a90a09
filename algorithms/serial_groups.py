"""Serial groups kept in the store, so an incremental analysis finds the serial batches (:mod:`algorithms.batches`)
from the groups a day's recovered guns fall in instead of splitting and sorting every recovered gun's serial.

A serial group is the recovered guns of one make, model and serial format (``SerialGroup``: its size and its
number of runs of close serials; ``Firearm.serial_group`` on each member). The full analysis writes every group.
An incremental run: the guns recovered in the new traces that were in no group join theirs (the touched groups).
A run is a chain of serials at most ``max_gap`` apart, so a joining gun changes only the chain it falls in (which
it may extend, or join to its neighbours): the touched groups' members' numbers are read back from their links (each
group by its key, its members' numbers from ``IN_GROUP.number``, no gun read: a national day's 1,490 touched groups
hold ~310k guns), their chains cut in numpy, and only the members of the chains a joining gun is in are read whole
(a few hundred, each group's by its numbers). Those chains' runs are found and scored exactly as
the full run does, with the group's new size; a group's run count is counted over its chains. The Bonferroni
count (groups holding a run) is the stored count plus the touched groups that now hold one (a group never loses
its run by gaining guns, so the count only rises). A stored batch outside those chains keeps its members; only
its score falls as the count (and its group's size) rises: it is rescored from its group's size and its members'
serials, and dropped when it falls below :data:`algorithms.batches.SIGNIFICANT`. A run outside those chains that
was not significant cannot become so (a larger group and more tests only lower a run's score). So the batches
equal a full re-analysis exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from algorithms import batches as serial_batches
from algorithms.batches import Batch
from algorithms.tables import AnalysisTables, isin
from graph.store import GraphStore

GROUP_COLUMNS = ["group_key", "size", "runs"]
#: the analysis parameter ``serial_groups`` of a store whose groups are stored with their members linked
#: (``IN_GROUP``) and each link holding its member's number; 2: the links without the numbers, 1: the groups without
#: the links (an incremental run then writes them all again, once: ``migrate``, ~23 CPU s at national scale)
STORED = 3


@dataclass(frozen=True)
class SerialState:
    """What an analysis writes: the significant batches, the groups (all, or the touched ones), the firearms
    whose ``serial_group`` is new, and the batch membership changes (``None``: rewrite every batch)."""

    batches: list[Batch]
    groups: pd.DataFrame                     # group_key, size, runs
    members: pd.DataFrame                    # firearm_key, serial_group, number (new members only on an increment)
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
                       members=pd.DataFrame({"firearm_key": grouped["key"], "serial_group": grouped["group_key"],
                                             "number": grouped["number"].astype(float)}))


def _df(store: GraphStore, statement: str, params: dict[str, Any], columns: list[str]) -> pd.DataFrame:
    found = store.query(statement, params).df()
    return found if len(found) else pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


SERIAL_COLUMNS = ["key", "serial_normalized", "manufacturer_normalized", "model", "serial_group"]


def _members(store: GraphStore, names: np.ndarray, group: np.ndarray, number: np.ndarray) -> pd.DataFrame:
    """The recovered guns at the given (group code, number) pairs (``names``: the groups' keys by code; the caller
    keeps the exact pairs): one statement per group, with that group's own numbers, in the order of the groups'
    keys. One statement over every group with every number checked each of the groups' links against the whole
    list: 0.47 CPU s for national batch 1's 84 groups (201k links, 378 numbers), against 0.05 this way."""
    frames = []
    for code in sorted(np.unique(group), key=lambda c: str(names[c])):
        numbers = sorted(set(number[group == code].tolist()))
        found = store.query("serial_group_members", {"group_key": str(names[code]), "numbers": numbers}).df()
        if len(found):
            frames.append(found)
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in [*SERIAL_COLUMNS, "number"]})
    return pd.concat(frames, ignore_index=True)


def update(store: GraphStore, traces: set[str]) -> SerialState:
    """The serial batches after the guns recovered in ``traces`` joined their groups (see the module text)."""
    recovered = _df(store, "serial_group_recovered", {"traces": sorted(traces)}, SERIAL_COLUMNS)
    grouped = serial_batches.serial_groups(recovered)
    joining = grouped[grouped["serial_group"].isna()]
    touched = sorted(set(joining["group_key"]))
    stored = _df(store, "firearms_batched", {}, ["key", "batch_id"])
    tests = int(store.query("serial_groups_tests").df()["tests"].iloc[0])
    before = _df(store, "serial_groups_get", {"keys": touched}, GROUP_COLUMNS) if touched \
        else pd.DataFrame(columns=GROUP_COLUMNS)
    # the stored members' numbers, from their links (no gun read), then the joining guns'
    linked = _df(store, "serial_group_numbers", {"groups": touched}, ["serial_group", "number"]) if touched \
        else pd.DataFrame({"serial_group": pd.Series(dtype=object), "number": pd.Series(dtype=float)})
    if linked["number"].isna().any():
        raise ValueError("a serial group's link has no number (groups stored before the links held them): count "
                         "the serial groups again (algorithms.serial_groups.migrate)")
    # the group keys hashed once (the touched groups' ~310k members at national scale): the chains and the groups'
    # sizes and run counts are counted over their codes, not grouped by the key strings again
    group, names = pd.factorize(pd.concat([linked["serial_group"], joining["group_key"]], ignore_index=True))
    names = np.asarray(names, dtype=object)
    number = np.concatenate([linked["number"].to_numpy(float), joining["number"].to_numpy(float)])
    chain = _chain_ids(group, number)
    groups = _counted(group, names, chain)
    tests += int((groups["runs"] > 0).sum()) - int((pd.to_numeric(before["runs"]) > 0).sum())
    # the chains the joining guns are in: their stored members read whole (make, model, batch), each group's by its
    # numbers (a member's group and number name its chain). The other chains' runs are as before: a stored batch
    # among them is rescored below, any other run stays below the threshold
    kept = np.isin(chain[:len(linked)], chain[len(linked):])
    kept_group, kept_number = group[:len(linked)][kept], number[:len(linked)][kept]
    pairs = pd.MultiIndex.from_arrays([kept_group, kept_number])
    read = _members(store, names, kept_group, kept_number)
    read = read[pd.MultiIndex.from_arrays([pd.Index(names).get_indexer(read["serial_group"]),
                                           read["number"].to_numpy(float)]).isin(pairs)]
    affected = serial_batches.serial_groups(pd.concat([read[SERIAL_COLUMNS], joining[SERIAL_COLUMNS]],
                                                      ignore_index=True))
    affected = affected.assign(chain=_chains_of(affected, names, group, number, chain))
    affected = affected.sort_values([*serial_batches.GROUP_COLUMNS, "number", "serial_normalized"], kind="stable")
    size_of = dict(zip(groups["group_key"], groups["size"], strict=True))
    run_members = affected[(affected.groupby("chain")["key"].transform("size") >= MIN_RUN).to_numpy()]
    run_members = run_members.rename(columns={"chain": "run"})
    run_members = run_members.assign(group_size=run_members["group_key"].map(size_of))
    found = serial_batches.scored_runs(run_members, tests, min_score=serial_batches.SIGNIFICANT)
    found += _rescored(store, stored, set(affected["key"]), tests, size_of)
    found.sort(key=lambda b: (-b.score, -b.size, b.batch_id))
    new = {key: batch.batch_id for batch in found for key in batch.firearm_keys}
    old = dict(zip(stored["key"], stored["batch_id"], strict=True))
    changed = sorted(key for key in new if old.get(key) != new[key])
    return SerialState(
        batches=found, groups=groups[GROUP_COLUMNS],
        members=pd.DataFrame({"firearm_key": joining["key"], "serial_group": joining["group_key"],
                              "number": joining["number"].astype(float)}),
        batch_set=pd.DataFrame({"firearm_key": changed, "batch_id": [new[k] for k in changed]}),
        batch_cleared=sorted(set(old) - set(new)), full=False, batched=old)


#: a run's least size and largest gap between neighbouring numbers (:func:`algorithms.batches.runs`' defaults)
MIN_RUN = 3
MAX_GAP = 30


def _chains_of(members: pd.DataFrame, names: np.ndarray, group: np.ndarray, number: np.ndarray,
               chain: np.ndarray) -> np.ndarray:
    """The chain of each of ``members`` (group_key, number), from every counted member's group code (into
    ``names``), number and chain (:func:`_chain_ids`): a chain is a range of numbers within a group, so a member's
    group and number name it."""
    if members.empty:
        return np.zeros(0, dtype=np.int64)
    counted = pd.Series(chain, index=pd.MultiIndex.from_arrays([group, number]))
    counted = counted[~counted.index.duplicated()]
    found = counted.reindex(pd.MultiIndex.from_arrays([pd.Index(names).get_indexer(members["group_key"]),
                                                       members["number"].to_numpy(float)]))
    if found.isna().any():
        raise ValueError("a serial group member read by its number is not among the members counted")
    return found.to_numpy(np.int64)


def _counted(group: np.ndarray, names: np.ndarray, chain: np.ndarray) -> pd.DataFrame:
    """The groups (:data:`GROUP_COLUMNS`, in key order) of members with group codes ``group`` (into ``names``) and
    chains ``chain`` (:func:`_chain_ids`, numbered from 1): each group's members and its chains of at least
    :data:`MIN_RUN`."""
    size = np.bincount(group, minlength=len(names))
    chain_size = np.bincount(chain)
    chain_group = np.zeros(len(chain_size), dtype=np.int64)
    chain_group[chain] = group
    runs = np.bincount(chain_group[chain_size >= MIN_RUN], minlength=len(names))
    order = np.argsort(names, kind="stable")
    return pd.DataFrame({"group_key": pd.Index(names[order], dtype=object), "size": size[order].astype(np.int64),
                         "runs": runs[order].astype(np.int64)})


def _chain_ids(codes: np.ndarray, number: np.ndarray) -> np.ndarray:
    """Per member (its group's code, its number): its chain (1, 2, ...), numbers at most :data:`MAX_GAP` apart
    within its group (what :func:`algorithms.batches.runs` cuts runs from)."""
    order = np.lexsort((number, codes))
    cut = np.ones(len(order), dtype=bool)
    cut[1:] = (codes[order][1:] != codes[order][:-1]) | (np.diff(number[order]) > MAX_GAP)
    chain = np.empty(len(order), dtype=np.int64)
    chain[order] = np.cumsum(cut)
    return chain


def _rescored(store: GraphStore, stored: pd.DataFrame, recounted: set[str], tests: int,
              sizes: dict[str, int]) -> list[Batch]:
    """The stored batches outside the chains recounted (``recounted``: their guns), rescored against ``tests``
    groups with their group's size (``sizes``: the touched groups' new sizes; the others' as stored): the
    significant ones."""
    if stored.empty:
        return []
    guns = _df(store, "firearms_serials_get", {"keys": sorted(stored["key"])}, SERIAL_COLUMNS)
    guns = guns.merge(stored, on="key")
    guns = guns[~isin(guns["key"], recounted)]
    if guns.empty:
        return []
    sizes_read = _df(store, "serial_groups_get", {"keys": sorted(set(guns["serial_group"]) - set(sizes))},
                     GROUP_COLUMNS)
    size_of = {**dict(zip(sizes_read["group_key"], pd.to_numeric(sizes_read["size"]), strict=True)), **sizes}
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
    """``members`` (firearm_key, serial_group, number): guns in no group until now (every one after a clear). The
    links (with the member's number) first: a gun whose ``serial_group`` is written is never read as joining again,
    so its link must be there."""
    if not len(members):
        return
    guns = pa.array(members["firearm_key"].astype(str).tolist(), pa.string())
    store.upsert_relationships("IN_GROUP", "Firearm", "SerialGroup", pd.DataFrame({
        "from_key": members["firearm_key"], "to_key": members["serial_group"],
        "number": members["number"].astype(float)}), created_from=guns)
    store.upsert_nodes("Firearm", members[["firearm_key", "serial_group"]])


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
