"""Score an analysis against a simulator's ``truth.json``, beside the rules an analyst uses today.

Planted people are matched to resolved persons through the records they left (the trace ids where they are the
purchaser, the multiple-sale report ids that name them), never through names, so the evaluation also absorbs
identity-resolution errors instead of hiding them.

* **straw precision@K** — K = planted straw purchasers who left any record; the share of the top K persons who
  are planted straws (a ring's trafficker also counts as a hit: he is who investigators want).
* **baselines** — the same precision for (a) "guns recovered within 3 years" counts, what a spreadsheet sort of an
  eTrace export gives, and (b) those counts plus multiple-sale reports.
* **ring recovery** — for each planted ring, the largest share of its recorded members found in one detected
  network; averaged over rings.
* **corrupt-dealer rank** — where planted corrupt dealers land in the dealer anomaly ranking (median rank,
  precision@K with K = planted corrupt dealers), beside ranking dealers by raw trace counts.
* **serial batches** — planted batches with at least 3 recovered guns found by :mod:`algorithms.batches`
  (recall), and the share of detected batches that are planted ones (precision), over all detected batches and
  over those scoring at least 2 (a run with under a 1 in 100 chance of arising at random).
* **damaged serials** — precision@1, recall@5 and MRR of :func:`algorithms.serials.match` on a seeded labelled
  set of damaged reads of the store's own serials (:mod:`algorithms.serial_damage`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Evaluation:
    straw: dict[str, float]
    rings: dict[str, float] = field(default_factory=dict)
    dealers: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"straw": self.straw, "rings": self.rings, "dealers": self.dealers}


@dataclass(frozen=True)
class RecordOwners:
    """Who resolved as the purchaser of each trace and each multiple-sale report."""

    trace: dict[str, str]
    report: dict[str, set[str]]

    @classmethod
    def of(cls, purchases: pd.DataFrame) -> RecordOwners:
        by_trace = purchases[purchases["sale_id"].str.startswith("trace:")]
        by_report = purchases[purchases["sale_id"].str.startswith("msr:")]
        report = by_report["sale_id"].str.split(":").str[1]
        owners: dict[str, set[str]] = {}
        for report_id, person in zip(report, by_report["src"], strict=True):
            owners.setdefault(report_id, set()).add(person)
        return cls(dict(zip(by_trace["sale_id"].str.slice(6), by_trace["src"], strict=True)), owners)


def truth_person_keys(truth: dict[str, Any], purchases: pd.DataFrame | RecordOwners,
                      people: Iterable[dict[str, Any]]) -> dict[str, set[str]]:
    """Planted person id -> resolved person keys, via the trace and multiple-sale records they left."""
    owners = purchases if isinstance(purchases, RecordOwners) else RecordOwners.of(purchases)
    mapping: dict[str, set[str]] = {}
    for person in people:
        keys: set[str] = set()
        for trace_id in person.get("purchaser_in_traces", []):
            if trace_id in owners.trace:
                keys.add(owners.trace[trace_id])
        for report_id in person.get("multiple_sale_report_ids", []):
            keys.update(owners.report.get(report_id, set()))
        mapping[person["person_id"]] = keys
    return mapping


#: A ring is recovered when this share of its recorded members sits in one detected network ...
RING_MIN_SHARE = 0.6
#: ... no bigger than this many times the ring (issue 20's definition).
RING_MAX_BLOAT = 4.0


def precision_at_k(ranked_keys: list[str], positives: set[str], k: int) -> float:
    if k <= 0:
        return 0.0
    return sum(1 for key in ranked_keys[:k] if key in positives) / k


def trafficking_purchasers(truth: dict[str, Any], purchases: pd.DataFrame) -> tuple[set[str], set[str], int]:
    """(straw keys, all trafficking-purchaser keys, K). Trafficking purchasers are the planted straws, ring
    traffickers, unlicensed dealers and the paper purchasers on corrupt dealers' diverted sales; K counts the
    planted straws that left any record."""
    straws = truth["straw_purchasers"]
    others = [ring["trafficker"] for ring in truth.get("rings", []) if isinstance(ring.get("trafficker"), dict)]
    others += [u["person"] for u in truth.get("unlicensed_dealers", []) if isinstance(u.get("person"), dict)]
    mapping = truth_person_keys(truth, purchases, [*straws, *others])
    straw_keys = {key for s in straws for key in mapping[s["person_id"]]}
    diverted = {trace for dealer in truth.get("corrupt_dealers", []) for trace in dealer.get("diversion_trace_ids", [])}
    traced = purchases[purchases["sale_id"].str.startswith("trace:")]
    paper = set(traced.loc[traced["sale_id"].str.slice(6).isin(diverted), "src"])
    broad = straw_keys | paper | {key for person in others for key in mapping[person["person_id"]]}
    k = sum(1 for s in straws if mapping[s["person_id"]])
    return straw_keys, broad, k


def straw_metrics(truth: dict[str, Any], purchases: pd.DataFrame, ranking: pd.DataFrame,
                  baselines: dict[str, pd.Series]) -> dict[str, float]:
    """``ranking``: person_key ordered most suspicious first. ``baselines``: name -> score per person.

    ``precision_at_k`` counts any planted trafficking purchaser in the top K as a hit (the queue is for them);
    ``straw_only_precision_at_k`` counts planted straws alone."""
    straw_keys, broad, k = trafficking_purchasers(truth, purchases)
    ranked = list(ranking["person_key"])
    metrics = {"k": float(k), "planted_straws": float(len(truth["straw_purchasers"])),
               "precision_at_k": precision_at_k(ranked, broad, k),
               "straw_only_precision_at_k": precision_at_k(ranked, straw_keys, k)}
    for name, values in baselines.items():
        ordered = list(values.sort_values(ascending=False, kind="stable").index)
        metrics[f"baseline_{name}"] = precision_at_k(ordered, broad, k)
        metrics[f"baseline_{name}_straw_only"] = precision_at_k(ordered, straw_keys, k)
    owners = RecordOwners.of(purchases)
    hard_keys: set[str] = set()
    for group in ("theft_victims", "collectors"):
        keys = {key for keys in truth_person_keys(truth, owners, truth.get(group, [])).values() for key in keys}
        metrics[f"{group}_in_top_k"] = float(sum(1 for key in ranked[:k] if key in keys))
        hard_keys |= keys
    metrics["hard_negatives_in_top_k"] = float(sum(1 for key in ranked[:k] if key in hard_keys))
    return metrics


def ring_metrics(truth: dict[str, Any], purchases: pd.DataFrame, membership: pd.Series,
                 ties: pd.DataFrame | None = None) -> dict[str, float]:
    """``membership``: person_key -> network id (every detected community, not only the reviewable ones).

    ``mean_best_share``: per ring, the largest share of its recorded members in one network, averaged.
    ``recovered_share``: the share of rings *recovered*: at least :data:`RING_MIN_SHARE` of the ring's recorded
    members in one detected network no bigger than :data:`RING_MAX_BLOAT` times the ring (a community that
    swallows a ring among many strangers does not recover it).

    Why a ring was not recovered: ``merged`` — enough of it sits in one network, but one too big (strangers or a
    second ring joined it); ``split`` — no network holds enough of it. Given ``ties`` (columns ``a``, ``b``: the
    person pairs the networks were built from, ``straw_features.PersonFeatures.pairs``), a split ring whose
    members' ties among themselves do not connect :data:`RING_MIN_SHARE` of them counts as ``untied`` instead:
    no partition of those ties could have recovered it, so it measures the evidence, not the method."""
    shares = []
    recovered = merged = split = untied = 0
    owners = RecordOwners.of(purchases)
    sizes = membership.value_counts()
    for ring in truth.get("rings", []):
        members = [s for s in truth["straw_purchasers"] if s.get("ring_id") == ring.get("ring_id")]
        mapping = truth_person_keys(truth, owners, members)
        keys = {key for keys in mapping.values() for key in keys}
        if len(keys) < 2:
            continue
        networks = membership.reindex(list(keys)).dropna()
        counts = networks.value_counts()
        best = int(counts.iloc[0]) if not counts.empty else 0
        shares.append(best / len(keys))
        fits = [n for n, c in counts.items() if c >= RING_MIN_SHARE * len(keys)
                and sizes.get(n, 0) <= RING_MAX_BLOAT * len(keys)]
        recovered += bool(fits)
        if fits:
            continue
        if best >= RING_MIN_SHARE * len(keys):
            merged += 1
        elif ties is not None and _largest_tied_group(keys, ties) < RING_MIN_SHARE * len(keys):
            untied += 1
        else:
            split += 1
    return {"rings_scored": float(len(shares)),
            "mean_best_share": float(sum(shares) / len(shares)) if shares else 0.0,
            "recovered": float(recovered),
            "recovered_share": recovered / len(shares) if shares else 0.0,
            "merged": float(merged), "split": float(split), "untied": float(untied)}


def _largest_tied_group(keys: set[str], ties: pd.DataFrame) -> int:
    """The most of ``keys`` that their ties among themselves connect (the largest connected group)."""
    inner = ties.loc[ties["a"].isin(keys) & ties["b"].isin(keys), ["a", "b"]]
    parent = {key: key for key in keys}

    def root(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for a, b in inner.itertuples(index=False):
        parent[root(a)] = root(b)
    return max(Counter(root(key) for key in keys).values())


def dealer_metrics(truth: dict[str, Any], ranking: pd.DataFrame, trace_counts: pd.Series) -> dict[str, float]:
    """``ranking``: dealer_key ordered most anomalous first."""
    corrupt = {d["dealer_key"] for d in truth.get("corrupt_dealers", [])}
    if not corrupt:
        return {}
    order = list(ranking["dealer_key"])
    ranks = sorted(order.index(key) + 1 for key in corrupt if key in order)
    raw = list(trace_counts.sort_values(ascending=False, kind="stable").index)
    raw_ranks = sorted(raw.index(key) + 1 for key in corrupt if key in raw)
    k = len(corrupt)
    median = float(pd.Series(ranks).median()) if ranks else float("nan")
    return {"planted": float(k), "median_rank": median, "dealers_ranked": float(len(order)),
            "median_rank_share": median / len(order) if order else float("nan"),
            "precision_at_k": precision_at_k(order, corrupt, k),
            "baseline_raw_traces_median_rank": float(pd.Series(raw_ranks).median()) if raw_ranks else float("nan"),
            "baseline_raw_traces_precision_at_k": precision_at_k(raw, corrupt, k)}


def batch_metrics(truth: dict[str, Any], found: list[Any], recovered_serials: set[str]) -> dict[str, float]:
    """``found``: :class:`algorithms.batches.Batch` list; ``recovered_serials``: serials of recovered guns."""
    from algorithms.batches import recall_precision

    planted = truth.get("batches", [])
    if not planted:
        return {}
    everything = recall_precision(found, planted, recovered_serials)
    confident = recall_precision(found, planted, recovered_serials, min_score=2.0)
    return {**everything, "recall_score_2": confident["recall"], "precision_score_2": confident["precision"],
            "detected_score_2": confident["detected"]}


def serial_match_metrics(firearms: pd.DataFrame, *, queries: int = 200, seed: int = 0) -> dict[str, float]:
    """Ranking metrics of damaged-serial matching on reads of ``firearms``' own serials (key,
    serial_normalized, manufacturer_normalized, model, caliber)."""
    from algorithms.serial_damage import damaged_set, ranking_metrics
    from algorithms.serials import SerialIndex, match

    index = SerialIndex.build(firearms)
    if len(index) == 0:
        return {}
    labelled = damaged_set(sorted(set(index.serials.tolist())), n=queries, seed=seed)
    return ranking_metrics(labelled, lambda pattern: [c.serial for c in match(index, pattern, top=10)])
