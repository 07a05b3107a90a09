"""Networks between full analyses: a person an incremental run newly ties joins the network holding most of their
tie weight, or forms one with the others tied only to each other (:mod:`algorithms.incremental`; Leiden is global,
so a new tie does not re-partition the graph: the weekly full run does). Scores and review ranks of the networks
wait for that run. A person who bought no gun and is tied only to the one purchaser whose gun was recovered from
them joins no network (``networks.possessors_only``: a network lists them as its possessors, not its members)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from algorithms import analyze as full
from algorithms.networks import possessors_only
from algorithms.tables import isin
from graph.store import GraphStore


def joins(store: GraphStore, pairs: pd.DataFrame, changed: set[str], purchasers: Iterable[str]) -> pd.DataFrame:
    """Persons newly tied who join a network (the one holding most of their tie weight) or form one;
    ``purchasers``: who bought a gun on record (the others tied to one purchaser only are possessors)."""
    weights = _layer_weights()
    apart = possessors_only(pairs, purchasers)
    # each pair both ways, from a person who may join (the two halves cut before they are put together)
    may_join = pd.Series(list(changed - apart), dtype="str")
    ties = pd.concat([pairs.loc[isin(pairs["a"], may_join), ["a", "b", "kind"]],
                      pairs.loc[isin(pairs["b"], may_join), ["b", "a", "kind"]].set_axis(["a", "b", "kind"], axis=1)])
    # the memberships of the persons who may join first (most are members already: they join nothing), then of
    # the partners of the others only; and the sizes of the networks those partners are in
    seeking = set(pc.unique(pc.drop_null(pa.array(ties["a"], pa.string(), from_pandas=True))).to_pylist())
    current = membership_of(store, seeking)
    ties = ties[~isin(ties["a"], current.index[current.notna().to_numpy()])]  # (hashed in Arrow, not mapped)
    if ties.empty:
        return pd.DataFrame(columns=["person_key", "network_id"])
    current = pd.concat([current, membership_of(store, set(ties["b"].tolist()) - seeking)])
    ties = ties.assign(weight=ties["kind"].map(weights).fillna(1.0), network=ties["b"].map(current))
    sizes = _member_counts(store, set(ties["network"].dropna().tolist()))
    rows: list[tuple[str, str]] = []
    to_network = ties.dropna(subset=["network"]).groupby(["a", "network"])["weight"].sum().reset_index()
    to_network = to_network.sort_values(["a", "weight", "network"], ascending=[True, False, True])
    for person, network in to_network.drop_duplicates("a")[["a", "network"]].itertuples(index=False):
        if sizes.get(network, 0) < full.MAX_NETWORK_SIZE:
            rows.append((person, network))
            sizes[network] = sizes.get(network, 0) + 1
    joined = {p for p, _ in rows}
    loose = ties[ties["network"].isna() & ~isin(ties["a"], joined) & ~isin(ties["b"], joined)
                 & ~ties["b"].map(current).notna().to_numpy()]
    if len(loose):
        import igraph as ig

        names = sorted(set(loose["a"]) | set(loose["b"]))
        index = {name: i for i, name in enumerate(names)}
        graph = ig.Graph(n=len(names), edges=[(index[a], index[b]) for a, b in zip(loose["a"], loose["b"],
                                                                                   strict=True)])
        for component in graph.connected_components():
            members = sorted(names[i] for i in component if names[i] not in apart)
            if members and 2 <= len(component) <= full.MAX_NETWORK_SIZE:
                network_id = "net-" + hashlib.sha256("|".join(members).encode()).hexdigest()[:12]
                rows.extend((m, network_id) for m in members)
    return pd.DataFrame(rows, columns=["person_key", "network_id"])


def _by_key(store: GraphStore, statement: str, keys: set[str], key: str, value: str, dtype: str) -> pd.Series:
    """key -> value from a statement read by ``keys`` (the first row of a key; empty where none exists)."""
    found = store.query(statement, {"keys": sorted(keys)}).df() if keys else pd.DataFrame()
    if found.empty:
        return pd.Series(dtype=dtype)
    found = found.drop_duplicates(key)
    return pd.Series(found[value].to_numpy(dtype), index=found[key].to_numpy(object), dtype=dtype)


def membership_of(store: GraphStore, persons: set[str]) -> pd.Series:
    """person_key -> network_id for those of ``persons`` in a network (MEMBER_OF), read by key."""
    return _by_key(store, "networks_of_persons", persons, "person_key", "network_id", "object")


def _member_counts(store: GraphStore, networks: set[str]) -> pd.Series:
    """network_id -> its MEMBER_OF count, for those of ``networks`` that exist."""
    return _by_key(store, "network_member_counts", networks, "network_id", "members", "int64")


def membership(store: GraphStore) -> pd.Series:
    """person_key -> network_id, every one, from MEMBER_OF (persons without a straw score are members too)."""
    members = store.edge_list("MEMBER_OF", "Person", "Network").to_pandas().drop_duplicates("src")
    return pd.Series(members["dst"].to_numpy(), index=members["src"].to_numpy(), dtype=object)


def stored_scores(store: GraphStore, persons: set[str]) -> pd.Series:
    """person_key -> the stored straw score (null where none), for those of ``persons`` that exist, read by key."""
    return _by_key(store, "straw_stored_scores", persons, "key", "straw_score", "object")


def _layer_weights() -> dict[str, float]:
    from algorithms.projection import PERSON_LAYERS

    weights = dict(PERSON_LAYERS)
    return {kind: float(weights.get(layer, 1.0)) for kind, layer in full.NETWORK_LAYERS.items()}


def write(store: GraphStore, joins: pd.DataFrame, run: str) -> None:
    existing = set(_member_counts(store, set(joins["network_id"].tolist())).index)
    fresh = joins[~isin(joins["network_id"], existing)]
    if len(fresh):
        sizes = fresh.groupby("network_id").size()
        store.upsert_nodes("Network", pd.DataFrame({
            "network_id": sizes.index, "size": sizes.to_numpy().astype("int64"), "algorithm": "incremental-join",
            "reviewable": False, "review_rank": 0, "analysis_run_id": run,
            "reason": "formed by an incremental analysis from new ties; scored at the next full analysis"}))
    store.upsert_nodes("Person", joins.assign(analysis_run_id=run))
    store.upsert_relationships("MEMBER_OF", "Person", "Network", pd.DataFrame({
        "from_key": joins["person_key"], "to_key": joins["network_id"], "analysis_run_id": run}))
    touched = sorted(set(joins["network_id"].tolist()))
    counts = _member_counts(store, set(touched))
    store.upsert_nodes("Network", pd.DataFrame({"network_id": touched,
                                                "size": [int(counts.get(n, 0)) for n in touched]}))
