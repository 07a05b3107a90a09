"""The straw ties' de-duplications over the persons' codes (algorithms/straw_features.py: ``_ordered_once``,
``_window_pairs``, ``_Groups.small``) and the network joins' reads in two steps (algorithms/network_joins.py) give
what the keys' pandas way gave: the same rows, in the same order, with the same types."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from algorithms import network_joins, straw
from algorithms import straw_features as sf
from algorithms.networks import possessors_only
from algorithms.tables import isin
from graph.store import Result

_PERSONS = st.sampled_from(["p1", "p2", "p10", "P2", "ü", "p|3", "p 4"])
_KINDS = st.sampled_from(["joint_purchase", "supply_line", "corridor", "purchaser_possessor", "nibin"])


def _old_ordered_once(pairs: pd.DataFrame) -> pd.DataFrame:
    pairs = pairs[pairs["a"] != pairs["b"]]
    swap = pairs["a"] > pairs["b"]
    pairs.loc[swap, ["a", "b"]] = pairs.loc[swap, ["b", "a"]].to_numpy()
    return pairs.drop_duplicates(["a", "b", "kind"]).reset_index(drop=True)


@st.composite
def pair_frames(draw: st.DrawFn, *, missing: bool) -> pd.DataFrame:
    rows = draw(st.integers(0, 40))
    people = st.one_of(_PERSONS, st.none()) if missing else _PERSONS
    return pd.DataFrame({"a": pd.Series(draw(st.lists(people, min_size=rows, max_size=rows)), dtype="str"),
                         "b": pd.Series(draw(st.lists(people, min_size=rows, max_size=rows)), dtype="str"),
                         "kind": pd.Series(draw(st.lists(_KINDS, min_size=rows, max_size=rows)), dtype="str"),
                         "weight": draw(st.lists(st.sampled_from([0.5, 1.0, 1.5]), min_size=rows, max_size=rows)),
                         "specificity": draw(st.lists(st.sampled_from([1.0, 0.5, 0.91]), min_size=rows,
                                                      max_size=rows)),
                         "days_apart": draw(st.lists(st.sampled_from([0.0, 3.0, float("nan")]), min_size=rows,
                                                     max_size=rows))})


@settings(max_examples=200, deadline=None)
@given(st.one_of(pair_frames(missing=False), pair_frames(missing=True)))
def test_ordered_once_is_the_keys_way(pairs: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(sf._ordered_once(pairs.copy()), _old_ordered_once(pairs.copy()))


def _old_window_pairs(frame: pd.DataFrame, group: str, day: str, days: int, kind: str, weight: float, *,
                      max_persons: int = sf.MAX_WINDOW_PERSONS, max_group: int = sf.MAX_WINDOW_GROUP) -> pd.DataFrame:
    """``_window_pairs`` as it was (the pairs' order and de-duplication over the keys)."""
    columns = ["a", "b", "kind", "weight", "specificity", "days_apart"]
    first = frame.dropna().groupby(["person_key", group], sort=False)[day].min().reset_index()
    first = first[first.groupby(group)["person_key"].transform("size") <= max_group]
    if len(first) < 2:
        return pd.DataFrame(columns=columns)
    first = first.sort_values([group, day], kind="stable").reset_index(drop=True)
    codes = pd.factorize(first[group])[0].astype(np.int64)
    when = first[day].to_numpy(np.int64)
    span = int(when.max() - when.min()) + 2 * days + 1
    key = codes * span + (when - when.min())
    low = np.searchsorted(key, key - days, side="left")
    high = np.searchsorted(key, key + days, side="right")
    crowd = high - low
    starts = np.arange(len(key)) + 1
    counts = np.clip(high - starts, 0, None)
    counts[crowd > max_persons] = 0
    left = np.repeat(np.arange(len(key)), counts)
    right = (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)) + np.repeat(starts, counts)
    n = np.maximum(crowd[left], crowd[right])
    keep = n <= max_persons
    left, right, n = left[keep], right[keep], n[keep]
    persons = first["person_key"].to_numpy()
    pairs = pd.DataFrame({"a": persons[left], "b": persons[right], "kind": kind, "weight": weight,
                          "specificity": sf.specificity(n), "days_apart": np.abs(when[left] - when[right])})
    pairs = pairs[pairs["a"] != pairs["b"]]
    swap = pairs["a"] > pairs["b"]
    pairs.loc[swap, ["a", "b"]] = pairs.loc[swap, ["b", "a"]].to_numpy()
    return pairs.sort_values("specificity", ascending=False, kind="stable").drop_duplicates(["a", "b"])[columns]


@st.composite
def window_frames(draw: st.DrawFn) -> pd.DataFrame:
    rows = draw(st.integers(0, 60))
    persons = [f"p{draw(st.integers(0, 25)):02d}" for _ in range(rows)]
    groups = draw(st.lists(st.sampled_from(["g1", "g2", "g|3", None]), min_size=rows, max_size=rows))
    days = draw(st.lists(st.integers(0, 40), min_size=rows, max_size=rows))
    return pd.DataFrame({"person_key": pd.Series(persons, dtype="str"), "line": pd.Series(groups, dtype="str"),
                         "day": np.asarray(days, dtype=np.int64)})


@settings(max_examples=200, deadline=None)
@given(window_frames(), st.sampled_from([3, 10, 30]), st.sampled_from([(4, 6), (30, 40), (2, 40)]))
def test_window_pairs_are_the_keys_way(frame: pd.DataFrame, days: int, limits: tuple[int, int]) -> None:
    persons, group = limits
    got = sf._window_pairs(frame, "line", "day", days, "supply_line", 1.0, max_persons=persons, max_group=group)
    want = _old_window_pairs(frame, "line", "day", days, "supply_line", 1.0, max_persons=persons, max_group=group)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True), check_dtype=len(want) > 0)


@settings(max_examples=150, deadline=None)
@given(window_frames(), st.sets(st.sampled_from(["sl|g1", "sl|g|3", "co|g1", "sl|nothing", "sl"]), max_size=4),
       st.sampled_from([1, 3, 40]))
def test_small_leaves_out_the_groups_named_too_big(frame: pd.DataFrame, too_big: set[str], limit: int) -> None:
    groups = sf._Groups(frozenset(too_big))
    got = groups.small(frame, "line", "sl", limit)
    want = frame[~("sl|" + frame["line"].astype(str)).isin(too_big).to_numpy()] if too_big and len(frame) else frame
    pd.testing.assert_frame_equal(got, want)


class _Store:
    """The two keyed reads network_joins makes, answered from a membership table."""

    def __init__(self, members: dict[str, str]) -> None:
        self.members = members
        self.asked: list[int] = []

    def query(self, name: str, params: dict[str, list[str]]) -> Result:
        keys = params["keys"]
        self.asked.append(len(keys))
        if name == "networks_of_persons":
            rows = [(k, self.members[k]) for k in keys if k in self.members]
            return Result(pa.table({"person_key": pa.array([r[0] for r in rows], pa.string()),
                                    "network_id": pa.array([r[1] for r in rows], pa.string())}))
        assert name == "network_member_counts"
        counts = pd.Series(list(self.members.values())).value_counts()
        found = [k for k in keys if k in counts.index]
        return Result(pa.table({"network_id": pa.array(found, pa.string()),
                                "members": pa.array([int(counts[k]) for k in found], pa.int64())}))


def _old_joins(store: _Store, pairs: pd.DataFrame, changed: set[str], purchasers: pd.Series) -> pd.DataFrame:
    """``network_joins.joins`` as it was: every tied person's membership read at once, and every one of their
    networks' sizes."""
    import hashlib

    import igraph as ig

    weights = network_joins._layer_weights()
    apart = possessors_only(pairs, purchasers)
    ties = pd.concat([pairs[["a", "b", "kind"]], pairs[["b", "a", "kind"]].set_axis(["a", "b", "kind"], axis=1)])
    ties = ties[isin(ties["a"], changed - apart)]
    current = network_joins.membership_of(store, set(ties["a"].tolist()) | set(ties["b"].tolist()))  # type: ignore[arg-type]
    ties = ties[~ties["a"].map(current).notna().to_numpy()]
    if ties.empty:
        return pd.DataFrame(columns=["person_key", "network_id"])
    sizes = network_joins._member_counts(store, set(current.dropna().tolist()))  # type: ignore[arg-type]
    ties = ties.assign(weight=ties["kind"].map(weights).fillna(1.0), network=ties["b"].map(current))
    rows: list[tuple[str, str]] = []
    to_network = ties.dropna(subset=["network"]).groupby(["a", "network"])["weight"].sum().reset_index()
    to_network = to_network.sort_values(["a", "weight", "network"], ascending=[True, False, True])
    for person, network in to_network.drop_duplicates("a")[["a", "network"]].itertuples(index=False):
        if sizes.get(network, 0) < network_joins.full.MAX_NETWORK_SIZE:
            rows.append((person, network))
            sizes[network] = sizes.get(network, 0) + 1
    joined = {p for p, _ in rows}
    loose = ties[ties["network"].isna() & ~isin(ties["a"], joined) & ~isin(ties["b"], joined)
                 & ~ties["b"].map(current).notna().to_numpy()]
    if len(loose):
        names = sorted(set(loose["a"]) | set(loose["b"]))
        index = {name: i for i, name in enumerate(names)}
        graph = ig.Graph(n=len(names), edges=[(index[a], index[b]) for a, b in zip(loose["a"], loose["b"],
                                                                                   strict=True)])
        for component in graph.connected_components():
            members = sorted(names[i] for i in component if names[i] not in apart)
            if members and 2 <= len(component) <= network_joins.full.MAX_NETWORK_SIZE:
                network_id = "net-" + hashlib.sha256("|".join(members).encode()).hexdigest()[:12]
                rows.extend((m, network_id) for m in members)
    return pd.DataFrame(rows, columns=["person_key", "network_id"])


@st.composite
def worlds(draw: st.DrawFn) -> tuple[pd.DataFrame, set[str], dict[str, str], list[str]]:
    people = [f"p{i}" for i in range(12)]
    rows = draw(st.integers(0, 30))
    a = draw(st.lists(st.sampled_from(people), min_size=rows, max_size=rows))
    b = draw(st.lists(st.sampled_from(people), min_size=rows, max_size=rows))
    kinds = draw(st.lists(st.sampled_from(["joint_purchase", "supply_line", "purchaser_possessor", "corridor"]),
                          min_size=rows, max_size=rows))
    keep = [x != y for x, y in zip(a, b, strict=True)]
    pairs = pd.DataFrame({"a": pd.Series(a, dtype="str"), "b": pd.Series(b, dtype="str"),
                          "kind": pd.Series(kinds, dtype="str")})
    pairs = pairs.loc[np.asarray(keep, dtype=bool)].reset_index(drop=True)
    changed = set(draw(st.lists(st.sampled_from(people), max_size=8)))
    members = {p: f"net-{draw(st.integers(0, 2))}" for p in draw(st.lists(st.sampled_from(people), max_size=10))}
    purchasers = draw(st.lists(st.sampled_from(people), max_size=12))
    return pairs, changed, members, purchasers


@settings(max_examples=300, deadline=None)
@given(worlds(), st.sampled_from([2, 3, 4, 1000]))
def test_joins_read_in_two_steps_are_the_joins(world: tuple[pd.DataFrame, set[str], dict[str, str], list[str]],
                                               limit: int) -> None:
    pairs, changed, members, purchasers = world
    bought = pd.Series(purchasers, dtype="str")
    kept = network_joins.full.MAX_NETWORK_SIZE
    network_joins.full.MAX_NETWORK_SIZE = limit  # (small: networks full, or new ones too big, in the small worlds)
    try:
        want = _old_joins(_Store(members), pairs, changed, bought)
        got = network_joins.joins(_Store(members), pairs, changed, bought)  # type: ignore[arg-type]
    finally:
        network_joins.full.MAX_NETWORK_SIZE = kept
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True), check_dtype=False)


def _old_tie_weights(pairs: pd.DataFrame) -> pd.DataFrame:
    """``straw.tie_weights`` as it was: the first row of each (a, b) over the keys, sorted by them."""
    pairs = pairs[~pairs["kind"].isin(straw.NETWORK_ONLY_KINDS | set(straw.NOT_CARRYING)).to_numpy()]
    pairs = pairs.assign(weight=pairs["weight"] * pairs["specificity"])
    both = pd.concat([pairs[["a", "b", "weight"]],
                      pairs[["b", "a", "weight"]].rename(columns={"b": "a", "a": "b"})], ignore_index=True)
    return both.drop_duplicates(["a", "b"]).sort_values(["a", "b"], kind="stable").reset_index(drop=True)


@settings(max_examples=200, deadline=None)
@given(st.one_of(pair_frames(missing=False), pair_frames(missing=True)),
       st.sampled_from(["str", object]))
def test_tie_weights_are_the_keys_way(pairs: pd.DataFrame, keys: object) -> None:
    pairs = pairs.astype({"a": keys, "b": keys})  # type: ignore[dict-item]
    pd.testing.assert_frame_equal(straw.tie_weights(pairs.copy()), _old_tie_weights(pairs.copy()))
