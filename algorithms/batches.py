"""Serial batches: recovered guns of one make and model whose serials are close in sequence.

Guns diverted together (a stolen shipment, a dealer's lot, a stockpile) carry consecutive serials. When several of
them surface in different places, the batch points to one diversion point that no single trace shows. Method:

1. Split each normalised serial into ``prefix`` + numeric tail + ``suffix`` (the last run of digits is the
   number; ``ABC123`` -> ``ABC`` / 123 / ``""``). Guns group by manufacturer + model (compacted) + prefix + suffix
   + number of digits.
2. Sort each group by number and cut wherever two neighbours are more than ``max_gap`` apart; runs of at least
   ``min_size`` guns are candidate batches.
3. Score how unlikely such a run is by chance: with ``n`` guns in the group spread over the format's number space
   ``R = 10**digits``, the count of other guns within the run's span is Poisson with ``lambda = (n - 1) * (span +
   1) / R``; ``p = min(1, n * P[X >= size - 1])`` (a scan-statistic bound, Naus 1965; one window per gun). Every
   group with a run is a test, so ``p`` is multiplied by the number of groups tested (Bonferroni): among a million
   recovered guns thousands of runs of three turn up by chance (national simulation: 7,369 runs, 40 planted), and
   only a run that beats all of them scores. ``score = -log10(p)``; 2 = 1 in 100. Limit: manufacturers number
   production in sequence, so a rare model's few recovered guns can sit close together without a diversion.
   Two-digit or shorter numbers are never batched (every run would be a run).

>>> firearms = pd.DataFrame({"key": list("abcd"), "serial_normalized": ["ABC101", "ABC103", "ABC104", "XYZ900"],
...                          "manufacturer_normalized": ["GLOCK"] * 4, "model": ["19"] * 4})
>>> [b.serials for b in detect(firearms, min_size=3)]
[('ABC101', 'ABC103', 'ABC104')]
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from algorithms.distributions import poisson_sf
from algorithms.tables import AnalysisTables, isin

_SERIAL_PARTS = re.compile(r"^(.*?)(\d+)([A-Z]*)$")
_SERIAL_PARTS_RE2 = r"^(?P<prefix>.*?)(?P<digits_text>\d+)(?P<suffix>[A-Z]*)$"  # the same, for pyarrow
MIN_DIGITS = 3
SIGNIFICANT = 2.0  # score (-log10 of the corrected chance) at which a run is reported as a batch: 1 in 100


@dataclass(frozen=True)
class Batch:
    batch_id: str
    manufacturer: str
    model: str
    firearm_keys: tuple[str, ...]
    serials: tuple[str, ...]
    score: float                  # -log10 of the chance of so close a run (higher = less likely by chance)
    dealers: dict[str, int] = field(default_factory=dict)     # selling dealer key -> guns
    places: dict[str, int] = field(default_factory=dict)      # "CITY, ST" (or country) -> recoveries
    states: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    trace_ids: tuple[str, ...] = ()
    first_recovery: str | None = None
    last_recovery: str | None = None
    span_days: int | None = None
    spread: bool = False          # recovered in several cities, states or countries

    @property
    def size(self) -> int:
        return len(self.firearm_keys)


def _compact(values: pd.Series) -> pd.Series:
    return values.fillna("").astype(str).str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)


def split_serials(serials: pd.Series) -> pd.DataFrame:
    """prefix, number, suffix, digits per serial (rows without a numeric run get NaN). The split runs in Arrow
    (RE2), the same pattern as :data:`_SERIAL_PARTS` on the normalised serials (ASCII letters and digits):
    Python's ``re`` per serial cost ~2 s for an incremental run's touched serial groups at national scale."""
    text = pa.array(serials.astype(str).to_numpy(object), pa.string())
    if pc.all(pc.string_is_ascii(text)).as_py() is not False and not pc.any(pc.match_substring(text, "\n")).as_py():
        found = pc.extract_regex(text, _SERIAL_PARTS_RE2)
        matched = found.is_valid()  # a struct's fields hold values under its nulls too: keep the matches only
        parts = pd.DataFrame({name: pc.if_else(matched, found.field(name), None).to_numpy(zero_copy_only=False)
                              for name in ("prefix", "digits_text", "suffix")}, index=serials.index)
    else:  # RE2's \d and $ differ from Python's outside ASCII and at a final newline: Python's regex then
        parts = serials.astype(str).str.extract(_SERIAL_PARTS)
        parts.columns = ["prefix", "digits_text", "suffix"]
    parts["digits"] = parts["digits_text"].str.len()
    parts["number"] = pd.to_numeric(parts["digits_text"], errors="coerce")
    return parts.drop(columns=["digits_text"])


def chance_score(group_size: int, run_size: int, span: int, digits: int, *, tests: int = 1) -> float:
    """-log10 of the chance that ``run_size`` of ``group_size`` random ``digits``-digit serials fall within ``span``
    of each other, over ``tests`` groups tested.

    >>> chance_score(10, 8, 10, 3) > chance_score(10_000, 8, 10, 3)
    True
    >>> chance_score(50, 5, 10, 6) > chance_score(50, 5, 10, 6, tests=1000)
    True
    """
    rate = (group_size - 1) * (span + 1) / 10.0 ** digits
    tail = float(poisson_sf(run_size - 2, rate))  # P[X >= run_size - 1]
    p = min(1.0, group_size * tail * max(tests, 1))
    return round(max(0.0, -math.log10(p)), 3) if p > 0 else 300.0


GROUP_COLUMNS = ["make", "model_key", "prefix", "suffix", "digits"]


def serial_groups(firearms: pd.DataFrame) -> pd.DataFrame:
    """The firearms that can be batched, each with its serial group: key, serial_normalized, model, make,
    model_key, prefix, suffix, digits, number and ``group_key`` (make|model|prefix|suffix|digits)."""
    frame = firearms.dropna(subset=["serial_normalized"])
    frame = frame.assign(make=frame["manufacturer_normalized"].fillna("").astype(str),
                         model_key=_compact(frame["model"]))
    frame = pd.concat([frame.reset_index(drop=True), split_serials(frame["serial_normalized"]).reset_index(drop=True)],
                      axis=1)
    frame = frame[(frame["digits"] >= MIN_DIGITS) & frame["number"].notna()].reset_index(drop=True)
    frame["digits"] = frame["digits"].astype(int)
    frame["group_key"] = (frame["make"] + "|" + frame["model_key"] + "|" + frame["prefix"].fillna("") + "|"
                          + frame["suffix"].fillna("") + "|" + frame["digits"].astype(str))
    return frame


def runs(grouped: pd.DataFrame, *, min_size: int = 3, max_gap: int = 30) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the members of every run of at least ``min_size`` in ``grouped`` (:func:`serial_groups`, whole groups),
    with ``run`` and ``group_size``; per group_key: ``size`` and ``runs``, the number of such runs)."""
    frame = grouped.sort_values([*GROUP_COLUMNS, "number", "serial_normalized"], kind="stable").reset_index(drop=True)
    same_group = (frame[GROUP_COLUMNS].shift() == frame[GROUP_COLUMNS]).all(axis=1)
    gap = frame["number"].diff()
    new_run = ~same_group | (gap > max_gap)
    frame["run"] = new_run.cumsum()
    frame["group_size"] = frame.groupby("group_key")["key"].transform("size")
    members = frame[frame.groupby("run")["key"].transform("size") >= min_size]
    per_group = pd.DataFrame({"size": frame.groupby("group_key").size()})
    per_group["runs"] = members.groupby("group_key")["run"].nunique().reindex(per_group.index).fillna(0).astype(int)
    return members, per_group.rename_axis("group_key").reset_index()


def scored_runs(members: pd.DataFrame, tests: int, *, min_score: float | None = None) -> list[Batch]:
    """Every run in ``members`` (:func:`runs`) scored against ``tests`` groups, ordered by score, then size;
    with ``min_score``, only those scoring at least that (the others are scored over arrays and never built:
    thousands of chance runs of three sit in a national world's big groups)."""
    found: list[Batch] = []
    if min_score is not None and len(members):
        per_run = members.groupby("run", sort=False).agg(
            low=("number", "min"), high=("number", "max"), size=("key", "size"), group_size=("group_size", "first"),
            digits=("digits", "first"))
        span = (per_run["high"] - per_run["low"]).to_numpy(float)
        rate = (per_run["group_size"].to_numpy(float) - 1) * (span + 1) / 10.0 ** per_run["digits"].to_numpy(float)
        chance = np.minimum(1.0, per_run["group_size"].to_numpy(float)
                            * poisson_sf(per_run["size"].to_numpy(float) - 2, rate) * max(tests, 1))
        with np.errstate(divide="ignore"):
            approximate = np.where(chance > 0, -np.log10(chance), 300.0)
        # a margin far above the rounding to 3 decimals: the exact score below decides
        members = members[members["run"].isin(per_run.index[approximate >= min_score - 0.01])]
    for _run, rows in members.groupby("run", sort=False):
        span = int(rows["number"].max() - rows["number"].min())
        score = chance_score(int(rows["group_size"].iloc[0]), len(rows), span, int(rows["digits"].iloc[0]),
                             tests=tests)
        keys = tuple(str(k) for k in rows["key"])
        found.append(Batch(
            batch_id="BATCH-" + hashlib.sha256("|".join(sorted(keys)).encode()).hexdigest()[:12],
            manufacturer=str(rows["make"].iloc[0]), model=str(rows["model"].iloc[0] or ""),
            firearm_keys=keys, serials=tuple(str(s) for s in rows["serial_normalized"]), score=score))
    if min_score is not None:
        found = [batch for batch in found if batch.score >= min_score]
    found.sort(key=lambda b: (-b.score, -b.size, b.batch_id))
    return found


def detect(firearms: pd.DataFrame, *, min_size: int = 3, max_gap: int = 30, min_score: float | None = None
           ) -> list[Batch]:
    """Runs of close serials. ``firearms``: key, serial_normalized, manufacturer_normalized, model.

    Returns batches (without places: see :func:`batches`) ordered by score, then size (``min_score``: those
    scoring at least that)."""
    members, _groups = runs(serial_groups(firearms), min_size=min_size, max_gap=max_gap)
    return scored_runs(members, tests=int(members["group_key"].nunique()), min_score=min_score)


def _place(city: object, state: object, country: object) -> str:
    country_text = str(country or "US").upper() if pd.notna(country) else "US"
    if country_text not in ("US", "USA", ""):
        return f"{city}, {country_text}" if pd.notna(city) and city else country_text
    return f"{city}, {state}" if pd.notna(city) and city else str(state or "unknown")


def batches(tables: AnalysisTables, *, min_size: int = 3, max_gap: int = 30, spread_cities: int = 3,
            min_score: float | None = None) -> list[Batch]:
    """Batches among recovered guns, with where each member was sold and recovered.

    ``spread`` is set when a batch surfaced in ``spread_cities`` or more cities, or in more than one state or
    country. ``min_score``: only the runs scoring at least this (the analysis keeps :data:`SIGNIFICANT` ones);
    the places are then gathered for those alone (at national scale thousands of chance runs of three are found,
    and gathering each one's places cost most of the stage)."""
    recovered = tables.recovered.rename(columns={"src": "firearm_key", "dst": "trace_id"})
    firearms = tables.firearms[isin(tables.firearms["key"], recovered["firearm_key"])]
    found = detect(firearms, min_size=min_size, max_gap=max_gap, min_score=min_score)
    if not found:
        return []
    members = {key for batch in found for key in batch.firearm_keys}
    recovered = recovered[isin(recovered["firearm_key"], members)].merge(
        tables.recoveries.rename(columns={"key": "trace_id"}), on="trace_id", how="left")
    sold = tables.sold.rename(columns={"src": "dealer_key", "dst": "firearm_key"})
    sold = sold[isin(sold["firearm_key"], members)]
    dealers_by_gun = sold.groupby("firearm_key")["dealer_key"].agg(lambda keys: sorted(set(keys)))
    recovered["place"] = [_place(c, s, k) for c, s, k in zip(recovered["recovery_city"], recovered["recovery_state"],
                                                              recovered["recovery_country"], strict=True)]
    recovered["country"] = recovered["recovery_country"].fillna("US").astype(str).str.upper().replace("", "US")
    by_gun = recovered.groupby("firearm_key")
    out = []
    for batch in found:
        keys = list(batch.firearm_keys)
        rows = pd.concat([by_gun.get_group(k) for k in keys if k in by_gun.groups], ignore_index=True)
        dealer_counts: dict[str, int] = {}
        for key in keys:
            for dealer in dealers_by_gun.get(key, []):
                dealer_counts[dealer] = dealer_counts.get(dealer, 0) + 1
        places = rows["place"].value_counts().sort_index().to_dict()
        states = tuple(sorted(str(s) for s in rows["recovery_state"].dropna().unique() if s))
        countries = tuple(sorted(str(c) for c in rows["country"].unique()))
        dates = pd.to_datetime(rows["recovery_date"], errors="coerce").dropna()
        first = dates.min() if len(dates) else None
        last = dates.max() if len(dates) else None
        out.append(Batch(
            batch_id=batch.batch_id, manufacturer=batch.manufacturer, model=batch.model,
            firearm_keys=batch.firearm_keys, serials=batch.serials, score=batch.score,
            dealers=dict(sorted(dealer_counts.items())), places={str(k): int(v) for k, v in places.items()},
            states=states, countries=countries, trace_ids=tuple(sorted(str(t) for t in rows["trace_id"])),
            first_recovery=first.date().isoformat() if first is not None else None,
            last_recovery=last.date().isoformat() if last is not None else None,
            span_days=int((last - first).days) if first is not None and last is not None else None,
            spread=len(places) >= spread_cities or len(states) > 1 or len(countries) > 1))
    return out


def batch_rows(found: list[Batch]) -> list[dict[str, object]]:
    """Flat rows for CSV/JSON output."""
    return [{"batch_id": b.batch_id, "manufacturer": b.manufacturer, "model": b.model, "size": b.size,
             "score": b.score, "spread": b.spread, "first_serial": b.serials[0], "last_serial": b.serials[-1],
             "serials": " ".join(b.serials), "dealers": " ".join(f"{k}({v})" for k, v in b.dealers.items()),
             "places": "; ".join(f"{k} ({v})" for k, v in b.places.items()), "states": " ".join(b.states),
             "countries": " ".join(b.countries), "first_recovery": b.first_recovery,
             "last_recovery": b.last_recovery, "span_days": b.span_days, "trace_ids": " ".join(b.trace_ids)}
            for b in found]


def recall_precision(found: list[Batch], planted: list[dict[str, Any]], recovered_serials: set[str], *,
                     min_score: float = 0.0, overlap: float = 0.5) -> dict[str, float]:
    """Score detection against planted batches (truth.json ``batches``: ``serials``).

    A planted batch counts when at least 3 of its guns were recovered (``recovered_serials``: normalised serials
    of recovered guns); it is found when one detected batch (score >= ``min_score``) holds at least ``overlap`` of
    those recovered serials. A detected batch is true when more than ``overlap`` of it is one planted batch."""
    from algorithms.serials import normalize_serial

    kept = [b for b in found if b.score >= min_score]
    planted_sets = [{s for s in (normalize_serial(str(x)) for x in p.get("serials", [])) if s} for p in planted]
    hits = scored = 0
    for serials in planted_sets:
        seen = serials & recovered_serials
        if len(seen) < 3:
            continue
        scored += 1
        if any(len(set(b.serials) & seen) >= overlap * len(seen) for b in kept):
            hits += 1
    true_batches = sum(1 for b in kept if any(len(set(b.serials) & s) > overlap * b.size for s in planted_sets))
    return {"planted": float(len(planted)), "planted_detectable": float(scored), "found": float(hits),
            "recall": hits / scored if scored else float("nan"), "detected": float(len(kept)),
            "precision": true_batches / len(kept) if kept else float("nan")}
