"""Serial groups kept in the store, so an incremental analysis finds the serial batches (:mod:`algorithms.batches`)
from the groups a day's recovered guns fall in instead of splitting and sorting every recovered gun's serial.

A serial group is the recovered guns of one make, model and serial format (``SerialGroup``: its size and its
number of runs of close serials; ``Firearm.serial_group`` on each member). The full analysis writes every group.
An incremental run: the guns recovered in the new traces that were in no group join theirs (the touched groups).
A run is a chain of serials at most ``max_gap`` apart, so a joining gun changes only the chain it falls in (which
it may extend, or join to its neighbours): the touched groups' members' keys and serials are read back (each group
by its key, its members through ``IN_GROUP``: a national day's 1,490 touched groups hold ~312k guns), their
numbers sliced from the serials by the group's form and their chains cut in numpy, and only the members of the
chains a joining gun is in are read whole (a few thousand). Those chains' runs are found and scored exactly as
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
import pyarrow.compute as pc

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
    before = _df(store, "serial_groups_get", {"keys": touched}, GROUP_COLUMNS) if touched \
        else pd.DataFrame(columns=GROUP_COLUMNS)
    serials = _df(store, "serial_group_serials", {"groups": touched}, ["key", "serial_normalized", "serial_group"]) \
        if touched else pd.DataFrame(columns=["key", "serial_normalized", "serial_group"])
    numbered = pd.concat([_numbered(store, serials), joining[["key", "group_key", "number"]]], ignore_index=True)
    numbered = numbered.drop_duplicates("key")
    # the group keys hashed once (the touched groups' ~310k members at national scale): the chains and the groups'
    # sizes and run counts are counted over their codes, not grouped by the key strings again
    group, names = pd.factorize(numbered["group_key"])
    numbered["chain"] = _chain_ids(group, numbered["number"].to_numpy(float))
    groups = _counted(group, np.asarray(names, dtype=object), numbered["chain"].to_numpy())
    tests += int((groups["runs"] > 0).sum()) - int((pd.to_numeric(before["runs"]) > 0).sum())
    # the chains the joining guns are in: every member's make, model and batch read (the other chains' runs are
    # as before: a stored batch among them is rescored below, any other run stays below the threshold)
    chains = set(numbered.loc[isin(numbered["key"], set(joining["key"])), "chain"])
    near = numbered.loc[numbered["chain"].isin(chains), "key"]
    near = near[~isin(near, set(joining["key"]))]
    read = _df(store, "firearms_serials_get", {"keys": near.tolist()}, SERIAL_COLUMNS) if len(near) \
        else pd.DataFrame(columns=SERIAL_COLUMNS)
    read = read.set_index("key").reindex(near.to_numpy()).rename_axis("key").reset_index()  # the engine's order
    affected = serial_batches.serial_groups(pd.concat([read[SERIAL_COLUMNS], joining[SERIAL_COLUMNS]],
                                                      ignore_index=True))
    affected = affected.merge(numbered.loc[numbered["chain"].isin(chains).to_numpy(), ["key", "chain"]], on="key")
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
        members=pd.DataFrame({"firearm_key": joining["key"], "serial_group": joining["group_key"]}),
        batch_set=pd.DataFrame({"firearm_key": changed, "batch_id": [new[k] for k in changed]}),
        batch_cleared=sorted(set(old) - set(new)), full=False, batched=old)


#: a run's least size and largest gap between neighbouring numbers (:func:`algorithms.batches.runs`' defaults)
MIN_RUN = 3
MAX_GAP = 30


def _numbered(store: GraphStore, serials: pd.DataFrame) -> pd.DataFrame:
    """key, group_key, number of the stored members ``serials`` (key, serial_normalized, serial_group). A group
    key ends in its serials' prefix, suffix and number of digits (:func:`algorithms.batches.serial_groups`), so a
    member's number is the slice of its serial after the prefix, no pattern matched per serial; a serial without
    its group's form (none, with the loaders' normalised serials) is read whole and split as a full analysis
    does."""
    if serials.empty:
        return pd.DataFrame({"key": pd.Series(dtype=object), "group_key": pd.Series(dtype=object),
                             "number": pd.Series(dtype=float)})
    codes, keys = pd.factorize(serials["serial_group"].astype(str))
    forms = [str(key).rsplit("|", 3)[1:] for key in keys]  # per group: prefix, suffix, digits (make|model|...)
    prefix = pa.array([f[0] for f in forms], pa.string()).take(pa.array(codes))
    suffix = pa.array([f[1] for f in forms], pa.string()).take(pa.array(codes))
    digits = np.array([int(f[2]) if f[2].isdigit() else 0 for f in forms])[codes]
    start = pc.utf8_length(prefix).to_numpy()
    text = _strings(serials["serial_normalized"])
    middle = pa.array([""] * len(text), pa.string())
    spans = pd.DataFrame({"a": start, "d": digits})
    for (a, d), rows in spans.groupby(["a", "d"]).indices.items():
        sliced = pc.utf8_slice_codeunits(text.take(pa.array(rows)), int(a), int(a) + int(d))
        mask = np.zeros(len(text), dtype=bool)
        mask[rows] = True
        middle = pc.replace_with_mask(middle, pa.array(mask), sliced)
    fits = pc.and_(pc.and_(pc.equal(pc.binary_join_element_wise(prefix, middle, suffix, ""), text),
                           pc.fill_null(pc.utf8_is_decimal(middle), False)),
                   pa.array((digits >= serial_batches.MIN_DIGITS) & (pc.utf8_length(middle).to_numpy() == digits)))
    fits = fits.to_numpy(zero_copy_only=False)
    number = pc.cast(pc.if_else(pa.array(fits), middle, None), pa.int64()).to_numpy(zero_copy_only=False)
    fast = pd.DataFrame({"key": serials["key"], "group_key": serials["serial_group"],
                         "number": number.astype(float)})[fits]
    odd = serials.loc[~fits, "key"]
    if odd.empty:
        return fast
    split = serial_batches.serial_groups(_df(store, "firearms_serials_get", {"keys": odd.tolist()}, SERIAL_COLUMNS))
    return pd.concat([fast, split[["key", "group_key", "number"]]], ignore_index=True)


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


def _strings(column: pd.Series) -> pa.Array:
    """``column`` as one Arrow ``string`` array, straight from its Arrow storage (not through ~310k Python strings)."""
    array = pa.array(column.astype(str), from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(pa.string())


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
