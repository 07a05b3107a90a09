"""Networks worth reviewing: every detected community gets a score, an evidence test and a reason in words.

The community detection (:func:`algorithms.communities.leiden_cpm`) partitions everyone tied to anyone, so most
communities are a purchaser and the one person a gun was recovered from: true, but nothing to review. An
analyst's list holds only the communities that pass a **minimum evidence rule**:

* at least :data:`MIN_SUSPECTS` members whose own straw score (:mod:`algorithms.straw`) reaches
  :data:`SUSPECT_SCORE` — about the score of two guns recovered from others within a year plus one other
  indicator — *and* ties between members beyond a single weak one: two or more ties, or one tie of a strong kind
  (:data:`STRONG_LAYERS`: a joint purchase, a shared address, a common possessor, a supply line);
* or one suspect whose guns were recovered from :data:`MIN_POSSESSORS` or more persons of the community, members or
  possessors (the pattern of an unlicensed dealer or a trafficker's single straw).

The **score** is the mean straw score of the network's three most suspicious members plus
:data:`TIE_KIND_POINTS` for every kind of tie beyond the first (independent kinds of evidence — a joint purchase,
a common possessor, a NIBIN link — corroborate one another; Papachristos et al. 2015 on co-offending networks,
ATF NIBIN "crime gun intelligence" guidance). The **reason** names the suspects' scores, the ties by kind and the
count of possessors. Networks that fail the rule stay in the partition (queryable), unranked.

**Possessors are a role, not members** (:func:`possessors_only`): a person who bought no gun on record and is tied
to one person only, the purchaser whose gun was recovered from them, is the end of a gun's trace chain, not a
member of the group that bought it. The community detection still places them with their purchaser (so the
one-suspect fan-out rule above counts them), but a network's ``members`` and ``size`` leave them out and its reason
names how many there are; the trace chain of the gun still leads to them. A ring of two straws whose guns reached
seven people is a network of two with seven possessors, not a network of nine.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from algorithms.projection import PersonProjection
from algorithms.tables import isin

SUSPECT_SCORE = 5.0
MIN_SUSPECTS = 2
MIN_POSSESSORS = 3
STRONG_LAYERS = frozenset({"joint_purchase", "shared_address", "common_possessor", "supply_line"})
TIE_KIND_POINTS = 1.0
TIE_WORDS: Mapping[str, tuple[str, str]] = {
    "joint_purchase": ("joint purchase", "joint purchases"),
    "shared_address": ("shared address", "shared addresses"),
    "common_possessor": ("common possessor", "common possessors"),
    "purchaser_possessor": ("gun recovered from another person", "guns recovered from other persons"),
    "nibin_link": ("NIBIN link", "NIBIN links"),
    "supply_line": ("supply line (same dealer, same destination city)",
                    "supply lines (same dealer, same destination city)"),
    "supply_state": ("supply line (same dealer, same destination state)",
                     "supply lines (same dealer, same destination state)"),
    "recovered_together": ("recovery together", "recoveries together"),
    "corridor": ("corridor (same source state, same destination city)",
                 "corridors (same source state, same destination city)"),
    "same_counter": ("multiple-sale report at the same dealer", "multiple-sale reports at the same dealer"),
}
COLUMNS = ["network_id", "size", "score", "members", "suspects", "ties", "reviewable", "review_rank", "reason",
           "possessors"]


def possessors_only(pairs: pd.DataFrame, purchasers: Iterable[str]) -> frozenset[str]:
    """Persons who bought no gun on record (not in ``purchasers``) and are tied to one person only, a purchaser
    whose gun was recovered from them (``pairs``: columns ``a``, ``b``, ``kind``; a ``purchaser_possessor`` tie
    between the two): the persons a network lists as its possessors, not its members."""
    if pairs.empty:
        return frozenset()
    ends = pd.concat([pairs[["a", "b", "kind"]], pairs[["b", "a", "kind"]].set_axis(["a", "b", "kind"], axis=1)],
                     ignore_index=True)
    # masks hashed in Arrow (algorithms.tables.isin): pandas' isin on Arrow strings builds a Python object per value
    bought = purchasers if isinstance(purchasers, (pd.Series, pd.Index)) else list(purchasers)
    ends = ends[~isin(ends["a"], bought)]
    neighbours = ends.groupby("a")["b"].nunique()
    single = neighbours.index[neighbours.to_numpy() == 1]
    found = ends.loc[ends["kind"].eq("purchaser_possessor").to_numpy() & isin(ends["a"], single), "a"]
    return frozenset(found.tolist())


def network_parameters() -> dict[str, object]:
    """The evidence rule and score parameters, for the analysis run record."""
    return {"suspect_score": SUSPECT_SCORE, "min_suspects": MIN_SUSPECTS, "min_possessors": MIN_POSSESSORS,
            "strong_layers": sorted(STRONG_LAYERS), "tie_kind_points": TIE_KIND_POINTS}


def network_table(projection: PersonProjection, membership: np.ndarray, straw_table: pd.DataFrame, *,
                  min_size: int = 2, possessors: frozenset[str] = frozenset()) -> pd.DataFrame:
    """One row per community of at least ``min_size`` persons: network_id (content hash of the members),
    size (its members), score, members (sorted keys), suspects, ties (layer -> count), reviewable, review_rank
    (1 = first to review; 0 when not reviewable), reason and possessors (sorted keys of those of
    ``possessors``, :func:`possessors_only`, in the community: listed apart, not members). Sorted reviewable
    first, then by score."""
    keys = projection.person_key
    sizes = np.bincount(membership) if len(membership) else np.zeros(0, dtype=np.int64)
    keep = sizes[membership] >= min_size
    if not keep.any():
        return pd.DataFrame(columns=COLUMNS)
    role = pd.Index(keys).isin(list(possessors)) if possessors else np.zeros(len(keys), dtype=bool)
    held = pd.DataFrame({"person_key": keys[keep & role], "community": membership[keep & role]})
    held = held.sort_values("person_key").groupby("community")["person_key"].agg(list)
    keep &= ~role
    scores = straw_table.set_index("person_key")["score"]
    frame = pd.DataFrame({"person_key": keys[keep], "community": membership[keep]})
    frame["score"] = frame["person_key"].map(scores).fillna(0.0).clip(lower=0.0).to_numpy()
    frame = frame.sort_values(["community", "score", "person_key"], ascending=[True, False, True])
    grouped = frame.groupby("community", sort=True)
    top3 = grouped["score"].apply(lambda s: float(s.head(3).mean()))
    suspects = grouped["score"].apply(lambda s: int((s >= SUSPECT_SCORE).sum()))
    members = grouped["person_key"].agg(sorted)

    edges = np.asarray(projection.graph.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    inside = membership[edges[:, 0]] == membership[edges[:, 1]] if len(edges) else np.zeros(0, dtype=bool)
    # ties by kind: the pairs of members tied in that layer (a layer's weight is a specificity-weighted sum, and
    # a supply line among many is still one tie an analyst can read)
    counts = pd.DataFrame((projection.layer_counts[inside] > 0).astype(np.int64), columns=list(projection.layers))
    counts["community"] = membership[edges[inside, 0]] if len(edges) else []
    ties = counts.groupby("community").sum()
    ties = ties.reindex(members.index).fillna(0.0)
    fan_outs = _possessor_fan_out(projection, membership, frame)
    member_scores = {community: group.to_numpy() for community, group in grouped["score"]}

    rows = []
    for community in members.index:
        layer_counts = {layer: int(n) for layer, n in ties.loc[community].items() if n > 0}
        n_ties = sum(layer_counts.values())
        strong = any(layer in STRONG_LAYERS for layer in layer_counts)
        n_suspects = int(suspects[community])
        fan_out = int(fan_outs.get(community, 0))
        reviewable = ((n_suspects >= MIN_SUSPECTS and (n_ties >= 2 or strong))
                      or (n_suspects >= 1 and fan_out >= MIN_POSSESSORS))
        score = float(top3[community]) + TIE_KIND_POINTS * max(len(layer_counts) - 1, 0)
        apart = held.get(community, [])
        rows.append({
            "network_id": "NET-" + hashlib.sha256("|".join(members[community]).encode()).hexdigest()[:12],
            "size": len(members[community]), "score": round(score, 4), "members": members[community],
            "suspects": n_suspects, "ties": layer_counts, "reviewable": bool(reviewable),
            "reason": _reason(member_scores[community], layer_counts, fan_out, reviewable, len(apart)),
            "possessors": apart})
    table = pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "review_rank"])
    table = table.sort_values(["reviewable", "score", "network_id"], ascending=[False, False, True])
    table = table.reset_index(drop=True)
    table["review_rank"] = np.where(table["reviewable"], np.arange(1, len(table) + 1), 0)
    return table[COLUMNS]


def _possessor_fan_out(projection: PersonProjection, membership: np.ndarray, frame: pd.DataFrame) -> pd.Series:
    """Per community, the most members any one suspect's guns were recovered from (purchaser->possessor ties)."""
    if "purchaser_possessor" not in projection.layers:
        return pd.Series(dtype=int)
    column = projection.layers.index("purchaser_possessor")
    edges = np.asarray(projection.graph.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    direct = edges[projection.layer_counts[:, column] > 0] if len(edges) else edges
    direct = direct[membership[direct[:, 0]] == membership[direct[:, 1]]] if len(direct) else direct
    suspect = set(frame.loc[frame["score"] >= SUSPECT_SCORE, "person_key"])
    is_suspect = pd.Index(projection.person_key).isin(list(suspect))
    ends = np.concatenate([direct[is_suspect[direct[:, 0]], 0], direct[is_suspect[direct[:, 1]], 1]]) \
        if len(direct) else np.zeros(0, dtype=np.int64)
    if not len(ends):
        return pd.Series(dtype=int)
    fan = pd.DataFrame({"community": membership[ends], "person": ends}).value_counts()
    return fan.groupby(level="community").max()


def _reason(scores: np.ndarray, ties: Mapping[str, int], fan_out: int, reviewable: bool, possessors: int = 0) -> str:
    suspects = scores[scores >= SUSPECT_SCORE]
    parts = []
    if len(suspects):
        listed = ", ".join(f"{s:.1f}" for s in suspects[:5]) + (", ..." if len(suspects) > 5 else "")
        parts.append(f"{len(suspects)} suspected straw purchaser{'s' if len(suspects) != 1 else ''} "
                     f"(scores {listed})")
    else:
        parts.append(f"no member scores {SUSPECT_SCORE:g} or more as a straw purchaser")
    if ties:
        words = [f"{n} {TIE_WORDS.get(layer, (layer, layer))[n != 1]}" for layer, n in
                 sorted(ties.items(), key=lambda item: (-item[1], item[0]))]
        parts.append("tied by " + ", ".join(words))
    if fan_out >= MIN_POSSESSORS:
        parts.append(f"one suspect's guns recovered from {fan_out} persons")
    if possessors:
        parts.append(f"{possessors} possessor{'s' if possessors != 1 else ''} (a member's gun recovered from them, "
                     "tied to no one else) listed apart, not as members")
    text = "; ".join(parts)
    return text if reviewable else "below the evidence rule: " + text
