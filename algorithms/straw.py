"""Straw-purchaser scoring: an explainable points model, then propagation over the person network.

Method
------
1. **Indicator points.** Each indicator adds (or removes) points on a log-odds scale; weights are set from the
   literature's relative strength of each signal, capped so no single indicator dominates, and were *not* fitted to
   the simulator's truth (the evaluation in ``docs/accuracy.md`` would otherwise be circular). Sources:

   - short time-to-crime, purchaser ≠ possessor, out-of-state recovery, multiple sales: ATF, *Following the Gun*
     (2000) and NFCTA Vol. II (2023) list these as the classic trafficking indicators; Braga et al. (2012),
     "Interpreting the empirical evidence on illegal gun market dynamics", J. Urban Health 89(5);
   - repeat purchases of the same make/model, bursts, joint purchases with others: Wintemute et al. (2004), "Risk
     factors among handgun retailers...", Inj. Prev.; Koper (2007), "Crime gun risk factors: buyer, seller,
     firearm, and transaction characteristics", NCJRS 218944;
   - NIBIN-linked recoveries and common possessors: ATF NIBIN program "crime gun intelligence" guidance;
     Papachristos et al. (2015) on co-offending networks.

   Where a gun was recovered counts once per gun: out of the source state (ATF's indicator) and, further, over
   300 km away. How many *cities* a buyer's guns turned up in is not an indicator: no source lists it (trafficked
   guns concentrate along corridors to a destination, Kennedy, Piehl & Braga 1996; Cook & Braga 2001, rather than
   spread), and it counted the same recoveries a third time, so an ordinary buyer with two guns recovered in two
   distant cities outranked a one-gun straw of a ten-member ring (the sensitivity study's seventh round,
   ``docs/accuracy.md``).

   Two *exculpatory* patterns keep theft victims and lawful collectors out of the queue: guns bought over years
   and recovered together within weeks (a theft or burglary, the guns leave together), and many purchases with
   almost none recovered and none quickly (a collector's or enthusiast's pattern). Where a lost/stolen report
   (``REPORTED_STOLEN``, filed after the purchase and before the recovery) names the recovered guns, that record
   replaces the burglary proxy: -2.5 points per reported gun, down to -10.
2. **Network propagation.** Straw purchasers rarely act alone. Each person receives a share of the positive
   points of the *other* purchasers linked to them in the person projection (joint purchases, shared addresses,
   purchaser→possessor, NIBIN links, supply lines, ...), capped; their own points never flow back. A common
   possessor ties two purchasers in the networks but carries no evidence here (:data:`NOT_CARRYING`). A ring member
   who left only multiple-sale reports thus inherits part of the ring's suspicion (one step of label propagation,
   Zhou et al. 2004, "Learning with local and global consistency", NIPS). What flows is a partner's *own*
   evidence: their points less the indicators that count partners (:data:`TIE_INDICATORS`: joint purchases,
   shared addresses, common possessors). Those points exist because of the very ties propagation follows, so
   letting them flow would count each tie twice — once as the partner's indicator, once more through the
   partner — and lift a pair of ordinary buyers whose guns reached one possessor as high as a ring (the
   sensitivity study's tuning seeds, ``docs/accuracy.md``, third round).

The final score is ``points + propagation``; every fired indicator is reported with its value and points.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from algorithms.frames import mapped
from algorithms.straw_features import NETWORK_ONLY_KINDS, PersonFeatures


@dataclass(frozen=True)
class Indicator:
    name: str
    column: str
    points_each: float
    cap: float
    threshold: int = 1  # fires when the value is at least this
    description: str = ""


INDICATORS: tuple[Indicator, ...] = (
    Indicator("short_ttc_1y", "short_ttc_1y_other", 2.0, 6.0,
              description="guns recovered from someone else within 1 year of purchase"),
    Indicator("short_ttc_3y", "short_ttc_3y_other", 1.0, 3.0,
              description="guns recovered from someone else 1-3 years after purchase"),
    Indicator("short_ttc_no_possessor", "short_ttc_unknown_possessor", 0.5, 1.5,
              description="guns recovered within 3 years, possessor not recorded"),
    Indicator("out_of_state", "out_of_state_recoveries", 0.8, 2.4,
              description="guns recovered in another state than the selling dealer's"),
    Indicator("far_recovery", "far_recoveries", 0.4, 1.2, description="guns recovered over 300 km from the dealer"),
    Indicator("multiple_sales", "multiple_sale_reports", 0.7, 2.1,
              description="multiple-sale reports (ATF Forms 3310.4/3310.12) naming the person"),
    Indicator("repeat_model", "repeat_model_max", 0.6, 1.8, threshold=2,
              description="several guns of the same make, model and caliber"),
    Indicator("purchase_burst", "purchase_burst_30d", 0.5, 1.5, threshold=3,
              description="3 or more guns bought within 30 days"),
    Indicator("joint_purchase", "joint_purchase_partners", 1.0, 2.0,
              description="bought at the same dealer on the same day as another purchaser"),
    Indicator("shared_address", "shared_address_partners", 0.5, 1.0,
              description="shares an address with another purchaser"),
    Indicator("common_possessor", "common_possessor_partners", 1.2, 3.6,
              description="guns ended with the same possessor as another purchaser's guns"),
    Indicator("nibin_linked", "nibin_linked_recoveries", 1.0, 2.0,
              description="recovered guns linked by NIBIN to other shootings"),
)
POINTS_PER_OWN_RECOVERY = -1.0      # the purchaser was found with the gun: personal use, not a straw sale
POINTS_PER_TIME_AS_POSSESSOR = -0.5  # straw purchasers are rarely the ones found with guns
THEFT_POINTS = -4.0
# A police or dealer report of the theft filed before the gun was recovered (REPORTED_STOLEN) is direct evidence
# where theft_pattern is only a proxy: points per such gun, down to a floor; the proxy is then not counted twice.
REPORTED_STOLEN_POINTS = -2.5
REPORTED_STOLEN_FLOOR = -10.0
COLLECTOR_POINTS = -3.0
PROPAGATION_WEIGHT = 0.25  # points per point of linked suspects
PROPAGATION_CAP = 4.0
#: indicators that count partners (the ties themselves): a partner's points from these do not propagate
TIE_INDICATORS = ("joint_purchase", "shared_address", "common_possessor")
#: ties that carry no partner's evidence: guns of both purchasers ended with one possessor. The tie says where
#: the guns went, not what the purchasers did (a gun stolen or resold on the street reaches the same hands), and
#: it already counts on each of them as the ``common_possessor`` indicator; carrying the partner's evidence too
#: (at 1.5, more than a joint purchase) lifted ordinary buyers whose guns met one criminal as high as a ring
#: (sensitivity study, sixth round: docs/accuracy.md)
NOT_CARRYING = ("common_possessor",)


#: how an indicators list is written: ``json.dumps(items, sort_keys=True)``, the encoder made once
_JSON = json.JSONEncoder(sort_keys=True)

TABLE_COLUMNS = ("person_key", "points", "propagation", "score", "indicators", "rank", "network")


@dataclass(frozen=True)
class StrawScores:
    """Ranked persons: ``table`` has person_key, score, points, propagation, rank, indicators (JSON) and network
    (the uncapped weighted sum propagation is taken from, :func:`_propagate`; stored so an incremental run can
    move it by the change of a partner's points instead of summing it again)."""

    table: pd.DataFrame
    parameters: dict[str, object] = field(default_factory=dict)


def theft_pattern(values: pd.DataFrame) -> pd.Series:
    """Guns bought on separate occasions (never two within 30 days), recovered together within 30 days in one
    city, no multiple-sale report and no joint purchase: a theft or burglary victim's accumulated guns leaving
    together, not a straw purchaser's bursts."""
    return ((values["recovery_cluster_30d"] >= 2) & (values["recovered_span_days"] > 60)
            & (values["purchase_burst_30d"] <= 1) & (values["recovery_cities"] <= 1)
            & (values["multiple_sale_reports"] == 0) & (values["joint_purchase_partners"] == 0))


def collector_pattern(values: pd.DataFrame) -> pd.Series:
    """Eight or more guns, at most one in ten recovered, none recovered within a year from someone else."""
    return ((values["guns_purchased"] >= 8) & (values["guns_recovered"] <= values["guns_purchased"] * 0.1)
            & (values["short_ttc_1y_other"] == 0))


def score(features: PersonFeatures, *, propagation_weight: float = PROPAGATION_WEIGHT) -> StrawScores:
    """Score every person who purchased a gun. Deterministic (no randomness)."""
    values = features.values[features.values["guns_purchased"] > 0]
    points = indicator_points(values)
    base = points.sum(axis=1)

    network = _propagate(base - tie_points(points), features.pairs)
    propagation = network_points(network, points["collector_pattern"] < 0, weight=propagation_weight)
    total = base + propagation
    table = pd.DataFrame({"person_key": base.index, "points": base.to_numpy(),
                          "propagation": propagation.to_numpy(), "score": total.to_numpy(),
                          "network": network.reindex(base.index).to_numpy(float)})
    table["indicators"] = _explain(values, points, propagation, network)
    table = table.sort_values(["score", "person_key"], ascending=[False, True]).reset_index(drop=True)
    table["rank"] = np.arange(1, len(table) + 1)
    return StrawScores(table=table, parameters=rules(propagation_weight=propagation_weight))


def indicator_points(values: pd.DataFrame) -> pd.DataFrame:
    """The points of each indicator (one column per indicator, :data:`INDICATORS` then the exculpatory ones) per
    person of ``values`` (the purchasers' indicator values): a person's points are their sum."""
    points = pd.DataFrame(index=values.index)
    for ind in INDICATORS:
        raw = values[ind.column]
        points[ind.name] = np.where(raw >= ind.threshold,
                                    np.minimum(raw * ind.points_each, ind.cap), 0.0)
    points["own_recovery"] = values["recovered_from_self"] * POINTS_PER_OWN_RECOVERY
    points["appears_as_possessor"] = values["as_possessor"] * POINTS_PER_TIME_AS_POSSESSOR
    reported = values["reported_stolen_guns"] if "reported_stolen_guns" in values else pd.Series(0, values.index)
    points["theft_pattern"] = np.where(theft_pattern(values) & (reported == 0), THEFT_POINTS, 0.0)
    points["reported_stolen"] = np.maximum(reported * REPORTED_STOLEN_POINTS, REPORTED_STOLEN_FLOOR)
    points["collector_pattern"] = np.where(collector_pattern(values), COLLECTOR_POINTS, 0.0)
    return points


@dataclass(frozen=True)
class OwnEvidence:
    """Purchasers' own points, without the network's (what :func:`score` computes before propagation), for a
    caller that adds the network itself (:mod:`algorithms.incremental`): ``points`` per person, ``items`` the
    fired indicators as :func:`score`'s indicators list holds them (no ``network`` item), ``tie`` the points of
    :data:`TIE_INDICATORS` as :func:`tie_points_from_indicators` reads them back from that list, and
    ``collector`` whether the collector pattern fired (as :func:`collector_from_indicators` reads it)."""

    points: pd.Series
    items: list[list[dict[str, object]]]
    tie: pd.Series
    collector: pd.Series


def own_evidence(values: pd.DataFrame) -> OwnEvidence:
    """:class:`OwnEvidence` of the purchasers of ``values`` (indexed as ``values``, the persons who bought a gun)."""
    values = values[values["guns_purchased"] > 0]
    points = indicator_points(values)
    # each tie indicator's points as its item shows them (round(float, 2), 0 where it did not fire), so the sum is
    # the one read back from the list
    shown = pd.DataFrame({name: _rounded(points[name].to_numpy(float)) for name in TIE_INDICATORS},
                         index=points.index, dtype=float)
    return OwnEvidence(points=points.sum(axis=1), items=_items(values, points), tie=tie_points(shown),
                       collector=pd.Series((points["collector_pattern"] != 0).to_numpy(), index=points.index))


def _rounded(values: np.ndarray) -> np.ndarray:
    """``round(float(v), 2)`` of each value, 0.0 where it is 0 (Python's rounding, not numpy's: they can differ in
    the last digit), rounded where not 0 only."""
    shown = np.zeros(len(values), dtype=float)
    at = np.flatnonzero(values != 0)
    shown[at] = [round(v, 2) for v in values[at].tolist()]
    return shown


def indicators_text(items: list[dict[str, object]], propagation: float, network: float) -> str:
    """The stored indicators list (JSON): ``items`` (a person's own, no ``network`` item) and the network line."""
    line = network_line(propagation, network)
    return _encoded(items if line is None else [*items, line])


#: the item names an indicators list holds (ASCII words: written in quotes as they are)
_NAMES = frozenset([ind.name for ind in INDICATORS] + ["own_recovery", "appears_as_possessor", "theft_pattern",
                                                        "reported_stolen", "collector_pattern", "network"])


def _encoded(items: list[dict[str, object]]) -> str:
    """``_JSON.encode(items)`` (``json.dumps(items, sort_keys=True)``) of indicator items, written directly where
    every item is ``{indicator, points, value}`` with a known name and finite numbers: the encoder sorts each
    item's keys and costs ~2.5x as much. The same text: json writes an int as ``int.__repr__`` and a float as
    ``float.__repr__``, the keys sorted, ``", "`` and ``": "`` between."""
    parts = []
    for item in items:
        name, points, value = item.get("indicator"), item.get("points"), item.get("value")
        if (len(item) != 3 or name not in _NAMES or not _finite(points) or not _finite(value)):
            return _JSON.encode(items)
        parts.append(f'{{"indicator": "{name}", "points": {points!r}, "value": {value!r}}}')
    return "[" + ", ".join(parts) + "]"


def _finite(number: object) -> bool:
    """An int (not a bool) or a finite float (json writes NaN and infinities otherwise than repr)."""
    return type(number) is int or (type(number) is float and math.isfinite(number))


def rules(*, propagation_weight: float = PROPAGATION_WEIGHT) -> dict[str, object]:
    """The scoring rules a straw table was computed under, as the analysis run records them (JSON-ready). The
    incremental run moves stored points and network sums by deltas, so it runs only on a store whose last full
    analysis recorded these same rules (:func:`algorithms.incremental.analyze_incremental`)."""
    return {"indicators": [dict(ind.__dict__) for ind in INDICATORS], "own_recovery": POINTS_PER_OWN_RECOVERY,
            "as_possessor": POINTS_PER_TIME_AS_POSSESSOR, "theft": THEFT_POINTS,
            "reported_stolen": REPORTED_STOLEN_POINTS,
            "reported_stolen_floor": REPORTED_STOLEN_FLOOR, "collector": COLLECTOR_POINTS,
            "propagation_weight": propagation_weight, "propagation_cap": PROPAGATION_CAP,
            "not_propagated": list(TIE_INDICATORS), "not_carrying": list(NOT_CARRYING),
            "network_only": sorted(NETWORK_ONLY_KINDS)}


def network_points(network: pd.Series, collector: pd.Series, *, weight: float = PROPAGATION_WEIGHT) -> pd.Series:
    """Points the network adds: ``weight`` per point of linked suspects, capped; none for a person whose own
    record the collector pattern explains (``collector``: a boolean per person). A lawful collector buys several
    guns a visit, so shares busy dealer-days with whoever else bought there; that coincidence must not outweigh a
    record of dozens of guns, almost none recovered (on the sensitivity study's fresh seeds, a collector tied by
    two joint purchases to a ring entered the top K in three cells)."""
    lifted = np.minimum(weight * network, PROPAGATION_CAP)
    return lifted.where(~collector.reindex(network.index).fillna(False).astype(bool), 0.0)


def collector_from_indicators(indicators: pd.Series) -> pd.Series:
    """Whether the collector pattern fired, per stored indicators list (JSON, as :func:`score` writes them)."""
    return pd.Series([_mentions(text, _COLLECTOR) and any(item.get("indicator") == "collector_pattern"
                                                          for item in json.loads(text))
                      for text in indicators], index=indicators.index, dtype=bool)


#: the indicator names as a stored list spells them (a list without the name holds no such item: it is not parsed)
_COLLECTOR = ('"collector_pattern"',)
_TIES = tuple(f'"{name}"' for name in TIE_INDICATORS)
#: a tie indicator's item as json.dumps(sort_keys=True) writes it: its name and points
_TIE_ITEM = re.compile(r'\{"indicator": "(' + "|".join(TIE_INDICATORS) + r')", "points": ([^,}\s]+)')


def _mentions(text: object, names: tuple[str, ...]) -> bool:
    return isinstance(text, str) and any(name in text for name in names)


def tie_points(points: pd.DataFrame) -> pd.Series:
    """Per person, the points of :data:`TIE_INDICATORS` (``points``: one column per indicator), each rounded as
    the indicators list shows it and summed in a fixed order, so that the value read back from a stored
    indicators list (:func:`tie_points_from_indicators`) is the same number."""
    total = pd.Series(0.0, index=points.index)
    for name in TIE_INDICATORS:
        if name in points.columns:
            total = total + points[name].astype(float).round(2)
    return total


def tie_points_from_indicators(indicators: pd.Series) -> pd.Series:
    """:func:`tie_points` from stored indicators lists (JSON, as :func:`score` writes them), per index entry. A list
    that names no tie indicator holds none of their points; one that does has its items' points read as written
    (``{"indicator": NAME, "points": P, ...}``, the keys sorted), parsed whole where they are not found so."""
    shown: dict[str, list[float]] = {name: [0.0] * len(indicators) for name in TIE_INDICATORS}
    for row, text in enumerate(indicators):
        if not _mentions(text, _TIES):
            continue
        for name, points in _tie_items(text):
            shown[name][row] = points if points == points else 0.0  # (a null or NaN shows no points, as fillna)
    return tie_points(pd.DataFrame(shown, index=indicators.index, dtype=float))


def _tie_items(text: str) -> list[tuple[str, float]]:
    """(name, points) of each tie indicator item of a stored list, in its order (NaN for a null)."""
    found = _TIE_ITEM.findall(text)
    if len(found) == sum(text.count(name) for name in _TIES):
        try:
            return [(name, float(points)) for name, points in found]
        except ValueError:  # not a number as written (a null): the list is parsed
            pass
    return [(item["indicator"], float("nan") if item["points"] is None else float(item["points"]))
            for item in json.loads(text) if item.get("indicator") in TIE_INDICATORS]


def tie_weights(pairs: pd.DataFrame) -> pd.DataFrame:
    """The ties propagation follows: one row per ordered pair (a, b) with the ``weight`` (weight x specificity) of
    the first row of that pair in ``pairs`` (``_pairs`` writes each unordered pair once per kind with a < b, so
    the weight of (a, b) is that of (b, a)), sorted by (a, b). Ties of ``straw_features.NETWORK_ONLY_KINDS`` are
    left out (the networks count them, the straw score does not), and so are ties of the :data:`NOT_CARRYING`
    kinds (they count as an indicator on each end, and carry no partner's evidence)."""
    if "kind" in pairs.columns:
        pairs = pairs[~pairs["kind"].isin(NETWORK_ONLY_KINDS | set(NOT_CARRYING)).to_numpy()]
    pairs = pairs.assign(weight=pairs["weight"] * pairs["specificity"]) if "specificity" in pairs else pairs
    both = pd.concat([pairs[["a", "b", "weight"]],
                      pairs[["b", "a", "weight"]].rename(columns={"b": "a", "a": "b"})], ignore_index=True)
    # summed in (a, b) order: the store returns rows in no fixed order, and the rounded network value in the
    # indicators must not depend on it
    persons = pd.concat([both["a"], both["b"]], ignore_index=True)
    codes, names = pd.factorize(persons, sort=True)
    if len(both) == 0 or (codes < 0).any():  # (a missing key: the keys' way, which compares it otherwise)
        return both.drop_duplicates(["a", "b"]).sort_values(["a", "b"], kind="stable").reset_index(drop=True)
    # the first row of each (a, b), in (a, b) order: over the persons' codes in key order (a code compares as its
    # key does), not the keys
    a, b = codes[:len(both)].astype(np.int64), codes[len(both):].astype(np.int64)
    _, first = np.unique(a * len(names) + b, return_index=True)
    return pd.DataFrame({"a": names.take(a[first]), "b": names.take(b[first]),
                         "weight": both["weight"].to_numpy()[first]})


def _propagate(base: pd.Series, pairs: pd.DataFrame) -> pd.Series:
    """Network suspicion: for each person, the weighted sum of the positive points (``base``: their own evidence,
    :data:`TIE_INDICATORS` left out) of the *other* persons linked to them (joint purchases, shared addresses,
    common possessors, NIBIN links, purchaser -> possessor, supply lines, corridors, ...). A person's own points
    never flow back to them (unlike PageRank-style propagation), so the value says only what the network adds."""
    if pairs.empty:
        return pd.Series(0.0, index=base.index)
    return propagated(tie_weights(pairs), base).reindex(base.index).fillna(0.0)


def propagated(ties: pd.DataFrame, own: pd.Series) -> pd.Series:
    """Per ``a``, the sum of ``weight`` x the positive ``own`` points of ``b`` over ``ties`` (as
    :func:`tie_weights` gives them, summed in their order): the full run's propagation, and the incremental run's
    over the ties it read (:mod:`algorithms.incremental`)."""
    positive = own.clip(lower=0.0)
    contribution = ties["weight"].to_numpy(float) * mapped(ties["b"], positive)
    return summed_by(contribution, ties["a"])


def summed_by(values: np.ndarray, keys: pd.Series) -> pd.Series:
    """``values`` summed per key (pandas' group sum, each group's values in their order), indexed by the keys in
    sorted order: ``pd.Series(values).groupby(keys.to_numpy()).sum()``, grouped by the keys' codes in key order
    instead of the keys (the same sums, bit for bit: the same values in the same order). With a missing key, the
    keys' way (its sums can differ in the last bit from those over the known keys alone)."""
    codes, names = pd.factorize(keys, sort=True)
    if len(codes) == 0 or (codes < 0).any():  # (a missing key, or none: the keys' way)
        return pd.Series(values).groupby(keys.to_numpy()).sum()
    sums = pd.Series(values).groupby(codes).sum()
    return pd.Series(sums.to_numpy(), index=names.take(sums.index.to_numpy()))


def network_line(propagation: float, network: float) -> dict[str, object] | None:
    """The indicators' ``network`` item, or None when the network adds 0.05 points or less. The values are
    rounded to 9 decimals before the 2 shown (and before the threshold): an incremental run moves a stored network
    sum by its partners' changes (:mod:`algorithms.incremental`), which lands within ~1e-15 of a fresh sum, and a
    value on a rounding boundary (x.xx5, or a propagation of exactly 0.05) must show the same either way."""
    if round(propagation, 9) <= 0.05:
        return None
    return {"indicator": "network", "value": round(round(network, 9), 2), "points": round(round(propagation, 9), 2)}


def _items(values: pd.DataFrame, points: pd.DataFrame) -> list[list[dict[str, object]]]:
    """Per person, the indicators that fired: name, the value behind it, the points it added (no network item)."""
    columns = {ind.name: ind.column for ind in INDICATORS}
    columns.update({"own_recovery": "recovered_from_self", "appears_as_possessor": "as_possessor",
                    "theft_pattern": "recovery_cluster_30d", "collector_pattern": "guns_purchased",
                    "reported_stolen": "reported_stolen_guns"})
    fired = points.to_numpy()
    vals = values.reindex(points.index)
    # each indicator's values as one array (its column's own dtype), read by position: a frame lookup per fired
    # indicator cost ~25 us (171k of them, 4 s, in a national incremental run); a numeric column's as Python numbers
    # (what _plain makes of numpy's: int, or the float rounded), so each is not converted one by one
    behind = [_plain_values(vals[columns[name]].to_numpy()) for name in points.columns]
    names = list(points.columns)
    items: list[list[dict[str, object]]] = [[] for _ in range(len(points))]
    rows, cols = np.nonzero(fired)
    for row, col, value in zip(rows.tolist(), cols.tolist(), fired[rows, cols].tolist(), strict=True):
        items[row].append({"indicator": names[col], "value": behind[col](row), "points": round(value, 2)})
    return items


def _plain_values(values: np.ndarray) -> Callable[[int], object]:
    """Row -> :func:`_plain` of ``values[row]``: for integers and floats, from the column as Python numbers."""
    if values.dtype.kind in "iu":
        return values.tolist().__getitem__
    if values.dtype.kind == "f":
        numbers = values.tolist()
        return lambda row: round(numbers[row], 2)
    return lambda row: _plain(values[row])


def _explain(values: pd.DataFrame, points: pd.DataFrame, propagation: pd.Series, network: pd.Series) -> list[str]:
    """JSON list per person of the indicators that fired: name, the value behind it, the points it added."""
    items = _items(values, points)
    prop = propagation.reindex(points.index).to_numpy()
    net = network.reindex(points.index).to_numpy()
    for row in np.flatnonzero(prop > 0.05 - 1e-9):
        line = network_line(float(prop[row]), float(net[row]))
        if line is not None:
            items[row].append(line)
    return [_encoded(entry) for entry in items]


def _plain(value: object) -> object:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return round(float(value), 2)
    return value
