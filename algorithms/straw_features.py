"""Per-person indicator values for straw-purchaser scoring, computed from the analysis tables.

Every indicator is a count or a measurement an analyst can check against the records (the trace ids and report
ids behind each are kept in :attr:`PersonFeatures.evidence`). Definitions:

* a *purchase* is one (person, firearm) pair, however many records (trace, multiple-sale report) mention it;
* time-to-crime (TTC) is computed at load; *short* means within 1 year, or within 3 years (ATF's threshold);
* a recovery is *from another person* when a possessor is recorded and is not the purchaser;
* *out of state* compares the recovery state with the selling dealer's state (the purchaser's, if unknown);
* *joint purchase*: another person bought at the same dealer on the same day;
* *common possessor*: a gun of another purchaser was recovered from the same possessor;
* *reported stolen*: a recovered gun named by a lost/stolen report filed after the purchase, before the recovery.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from algorithms.frames import drop_duplicates, left_join_first
from algorithms.geodesy import haversine_km
from algorithms.tables import AnalysisTables, isin
from loaders.domain import straw_keys
from loaders.domain.names import address_keys


def _no_big_groups() -> pd.DataFrame:
    """group_id, straw_members: the columns a big group is stored with (:data:`algorithms.straw_groups.COLUMNS`)."""
    return pd.DataFrame({"group_id": pd.Series(dtype=object), "straw_members": pd.Series(dtype="int64")})


@dataclass(frozen=True)
class PersonFeatures:
    values: pd.DataFrame        # index person_key; one column per indicator
    purchases: pd.DataFrame     # one row per (person, firearm) with dealer, date, recovery facts
    pairs: pd.DataFrame         # person-person links: a, b, kind, weight, specificity (networks, propagation)
    # the groups ``_pairs`` left out whole for having more persons than their limit, with how many: the stored big
    # groups when computed on the whole tables (:mod:`algorithms.straw_groups`); on a cut of them, only a count of
    # the persons the cut holds (and none of the groups ``too_big`` names)
    big_groups: pd.DataFrame = field(default_factory=_no_big_groups)


def purchase_events(t: AnalysisTables) -> pd.DataFrame:
    """One row per (person, firearm): first purchase date, dealer, multiple-sale flag and report ids."""
    p = t.purchases.rename(columns={"src": "person_key", "dst": "firearm_key"})
    if p.empty:  # typed as the non-empty frame is (a possessor-only person's rows: the dates' .dt must work)
        return pd.DataFrame({"person_key": pd.Series(dtype=object), "firearm_key": pd.Series(dtype=object),
                             "purchase_date": pd.Series(dtype="datetime64[ns]"),
                             "dealer_key": pd.Series(dtype=object), "multiple_sale": pd.Series(dtype=bool),
                             "report_id": pd.Series(dtype=object)})
    sold = t.sold.rename(columns={"src": "sold_by", "dst": "firearm_key"})
    p = left_join_first(p, sold[["firearm_key", "sold_by", "sale_date"]], "firearm_key")
    p["dealer_key"] = p["dealer_key"].where(p["dealer_key"].notna(), p["sold_by"])
    p["purchase_date"] = pd.to_datetime(p["purchase_date"].where(p["purchase_date"].notna(), p["sale_date"]))
    p["multiple_sale"] = p["multiple_sale"].fillna(False).astype(bool)
    report = p["report_id"].where(p["multiple_sale"])
    p = p.assign(report_id=report)
    events = p.groupby(["person_key", "firearm_key"], sort=False).agg(
        purchase_date=("purchase_date", "min"), dealer_key=("dealer_key", "first"),
        multiple_sale=("multiple_sale", "max"), report_id=("report_id", "first")).reset_index()
    return events


#: the columns of the recovered purchase events that :func:`compute` reads (``purchase_and_recovery_events(lean=True)``)
RECOVERED_COLUMNS = ["person_key", "firearm_key", "purchase_date", "dealer_key", "premise_state", "dealer_lat",
                     "dealer_lon", "trace_id", "recovery_date", "recovery_state", "recovery_city", "lat", "lon",
                     "time_to_crime_days", "possessor_key"]


def purchase_and_recovery_events(t: AnalysisTables, *, lean: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The purchase events with firearm and dealer facts, and the recovered ones joined with their recovery and
    possessor: what every indicator and every person-person tie is computed from. ``lean``: the recovered ones with
    only :data:`RECOVERED_COLUMNS` (the same rows: every filter of a frame takes each of its columns)."""
    events = purchase_events(t)
    guns = t.firearms.rename(columns={"key": "firearm_key"})
    # (the left joins on a unique key, the firearms', dealers' and recoveries' tables being keyed by it: each row
    # with its key's first row, as a merge with the right side's rows each once)
    events = left_join_first(
        events, guns[["firearm_key", "manufacturer_normalized", "model", "caliber", "weapon_type"]], "firearm_key")
    dealers = t.dealers.rename(columns={"key": "dealer_key", "lat": "dealer_lat", "lon": "dealer_lon"})
    events = left_join_first(events, dealers[["dealer_key", "premise_state", "dealer_lat", "dealer_lon"]],
                             "dealer_key")
    recoveries = t.recoveries.rename(columns={"key": "trace_id"}).drop(columns=["purchase_date"])
    if lean:
        recoveries = recoveries[[c for c in recoveries.columns if c == "trace_id" or c in RECOVERED_COLUMNS]]
    rec = left_join_first(t.recovered.rename(columns={"src": "firearm_key", "dst": "trace_id"}), recoveries,
                          "trace_id")
    possessor = t.possessed.rename(columns={"src": "trace_id", "dst": "possessor_key"})
    rec = left_join_first(rec, possessor, "trace_id")
    bought = events[[c for c in events.columns if c in RECOVERED_COLUMNS]] if lean else events
    return events, bought.merge(rec, on="firearm_key", how="inner")


def compute(t: AnalysisTables, *, too_big: frozenset[str] = frozenset(),
            only: set[str] | None = None) -> PersonFeatures:
    """The indicator values, purchase events and person-person ties of ``t``'s persons. ``too_big``: ids of groups
    (``<kind>|<key>``, as :func:`algorithms.straw_neighbourhood.memberships` names them) known to hold more persons
    than their limit though ``t`` holds only some of them (an incremental run's neighbourhood,
    :mod:`algorithms.straw_groups`): left out of the ties as the whole tables leave them out. ``only``: the
    persons whose indicator values are wanted (the values of the others are left out; the purchase events and the
    ties are every person's): a person's values come from their own rows and their own ties alone."""
    events, recovered = purchase_and_recovery_events(t, lean=True)
    pairs, big_groups = _pairs(events, recovered, t, too_big)
    all_events = events
    persons = pd.Index(t.persons["key"], name="person_key")
    if only is not None:
        persons = persons[isin(persons.to_series(), only)]
        events = events[isin(events["person_key"], persons)]
        recovered = recovered[isin(recovered["person_key"], persons)]
    f = pd.DataFrame(index=persons)

    # counts per person over the persons' codes, each frame's factorised once (a group-by factorises its key
    # column again, and a filtered frame takes every column first): the same counts
    buyer, holder = _PerPerson(events["person_key"]), _PerPerson(recovered["person_key"])
    f["guns_purchased"] = buyer.size()
    f["multiple_sale_reports"] = buyer.nunique(events["report_id"])
    f["guns_recovered"] = holder.nunique(recovered["firearm_key"])
    ttc = recovered["time_to_crime_days"]
    from_other = recovered["possessor_key"].notna() & (recovered["possessor_key"] != recovered["person_key"])
    own = recovered["possessor_key"].notna() & (recovered["possessor_key"] == recovered["person_key"])
    f["short_ttc_1y_other"] = holder.size((ttc <= 365) & from_other)
    f["short_ttc_3y_other"] = holder.size((ttc > 365) & (ttc <= 1095) & from_other)
    f["short_ttc_unknown_possessor"] = holder.size((ttc <= 1095) & recovered["possessor_key"].isna())
    f["recovered_from_self"] = holder.size(own)
    f["recovered_from_other"] = holder.size(from_other)
    source_state = recovered["premise_state"].fillna("")
    out_of_state = (recovered["recovery_state"].notna() & (source_state != "")
                    & (recovered["recovery_state"] != source_state))
    f["out_of_state_recoveries"] = holder.size(out_of_state)
    distance = haversine_km(recovered["dealer_lat"].to_numpy(float), recovered["dealer_lon"].to_numpy(float),
                            recovered["lat"].to_numpy(float), recovered["lon"].to_numpy(float))
    recovered = recovered.assign(distance_km=distance)
    f["far_recoveries"] = holder.size(distance > 300)
    f["median_distance_km"] = recovered.groupby("person_key")["distance_km"].median()
    city = recovered["recovery_city"].fillna("").str.upper() + "|" + recovered["recovery_state"].fillna("")
    f["recovery_cities"] = holder.nunique(city)
    model = (events["manufacturer_normalized"].fillna("?") + "|" + events["model"].fillna("?") + "|"
             + events["caliber"].fillna("?"))
    f["repeat_model_max"] = buyer.most(model)
    f["purchase_burst_30d"] = _max_within(events["person_key"], events["purchase_date"], days=30)
    span = recovered.groupby("person_key")["purchase_date"].agg(["min", "max"])
    f["recovered_span_days"] = (span["max"] - span["min"]).dt.days
    f["recovery_cluster_30d"] = _max_within(recovered["person_key"], pd.to_datetime(recovered["recovery_date"]),
                                            days=30)
    f["as_possessor"] = t.possessed.groupby("dst").size().reindex(persons)
    f["reported_stolen_guns"] = _reported_stolen(recovered, t.stolen)
    f["nibin_linked_recoveries"] = _nibin_counts(recovered, t.nibin)
    f["handgun_share"] = buyer.share(events["weapon_type"].isin(["PISTOL", "REVOLVER", "DERRINGER"]))

    for kind in ("joint_purchase", "shared_address", "common_possessor", "nibin"):
        sub = pairs[pairs["kind"] == kind]
        f[f"{kind}_partners"] = _PerPerson(pd.concat([sub["a"], sub["b"]])).nunique(pd.concat([sub["b"], sub["a"]]))
    f = f.fillna({c: 0 for c in f.columns if c not in ("median_distance_km",)})
    ints = [c for c in f.columns if c not in ("median_distance_km", "handgun_share")]
    f[ints] = f[ints].astype(int)
    return PersonFeatures(values=f, purchases=all_events, pairs=pairs, big_groups=big_groups)


class _PerPerson:
    """Counts per person of a frame's rows (``persons``: its person column), as the frame's group-by on it gives
    them, over the persons' codes: the persons without a row (or without a value) left out, a missing person in
    none."""

    def __init__(self, persons: pd.Series) -> None:
        self.codes, self.names = pd.factorize(persons)

    def size(self, rows: pd.Series | np.ndarray | None = None) -> pd.Series:
        """``frame[rows].groupby(person).size()``, without the persons of no row."""
        codes = self.codes if rows is None else self.codes[np.asarray(rows, dtype=bool)]
        counts = np.bincount(codes[codes >= 0], minlength=len(self.names))
        at = np.flatnonzero(counts)
        return pd.Series(counts[at], index=self.names[at], dtype="int64")

    def nunique(self, values: pd.Series) -> pd.Series:
        """``frame.groupby(person)[values].nunique()`` (``values`` aligned with the rows; a missing value is not
        counted), without the persons of no value."""
        codes, distinct = pd.factorize(values)
        known = (codes >= 0) & (self.codes >= 0)
        width = max(len(distinct), 1)
        pairs = np.unique(self.codes[known].astype(np.int64) * width + codes[known])
        counts = np.bincount(pairs // width, minlength=len(self.names))
        at = np.flatnonzero(counts)
        return pd.Series(counts[at], index=self.names[at], dtype="int64")

    def most(self, values: pd.Series) -> pd.Series:
        """``frame.groupby([person, values]).size().groupby(person).max()``: the most rows sharing one value."""
        codes, distinct = pd.factorize(values)
        known = (codes >= 0) & (self.codes >= 0)
        width = max(len(distinct), 1)
        pairs, rows = np.unique(self.codes[known].astype(np.int64) * width + codes[known], return_counts=True)
        persons = pairs // width
        most = np.zeros(len(self.names), np.int64)
        np.maximum.at(most, persons, rows)
        at = np.unique(persons)
        return pd.Series(most[at], index=self.names[at], dtype="int64")

    def share(self, flags: pd.Series) -> pd.Series:
        """``frame.groupby(person)[flags].mean()`` of booleans: the share of a person's rows flagged."""
        known = self.codes >= 0
        rows = np.bincount(self.codes[known], minlength=len(self.names))
        flagged = np.bincount(self.codes[known], weights=np.asarray(flags, dtype=bool)[known].astype(float),
                              minlength=len(self.names))
        at = np.flatnonzero(rows)
        return pd.Series(flagged[at] / rows[at], index=self.names[at], dtype="float64")


def person_address_keys(persons: pd.DataFrame) -> np.ndarray:
    """Per person, the normalised ``street|zip`` of a shared-address tie ('' for none): the stored
    ``Person.address_key`` where the persons frame carries one (the incremental neighbourhood reads it), computed
    from the address otherwise (the same function wrote the stored one at load)."""
    if "address_key" not in persons.columns:
        return address_keys(persons)
    keys = persons["address_key"].to_numpy(dtype=object, copy=True)
    missing = pd.isna(keys)
    if missing.any():
        keys[missing] = address_keys(persons[missing])
    return keys


def _max_within(person: pd.Series, when: pd.Series, *, days: int) -> pd.Series:
    """Per person, the largest number of their rows (``person`` and ``when``, dates, aligned) whose dates fall within
    ``days`` of each other: over each person's sorted days, the rows from ``days`` before a row's day up to it,
    counted by a binary search in (person code, day) order (persons in any order: each is counted alone)."""
    known = (person.notna() & when.notna()).to_numpy()
    if not known.any():
        return pd.Series(dtype=int)
    codes, names = pd.factorize(person[known])
    day = when[known].to_numpy("datetime64[D]").astype(np.int64)
    order = np.lexsort((day, codes))
    codes, day = codes[order].astype(np.int64), day[order]
    span = int(day.max() - day.min()) + days + 1  # one person's days never reach the next one's
    key = codes * span + (day - day.min())
    count = np.arange(len(key)) - np.searchsorted(key, key - days, side="left") + 1
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    return pd.Series(np.maximum.reduceat(count, starts), index=np.asarray(names, dtype=object)[codes[starts]],
                     dtype=int)


def _reported_stolen(recovered: pd.DataFrame, stolen: pd.DataFrame) -> pd.Series:
    """Per purchaser, recovered guns named by a lost/stolen report filed after the purchase and on or before the
    recovery (a theft claimed only once the gun surfaced is not counted: a known straw-purchase cover story)."""
    if stolen.empty or recovered.empty:
        return pd.Series(dtype=int)
    reports = stolen.rename(columns={"src": "firearm_key"})[["firearm_key", "reported_date"]]
    hits = recovered[["person_key", "firearm_key", "purchase_date", "recovery_date"]].merge(reports, on="firearm_key")
    reported = pd.to_datetime(hits["reported_date"])
    ok = (reported <= pd.to_datetime(hits["recovery_date"])) & ~(reported < pd.to_datetime(hits["purchase_date"]))
    return hits[ok.to_numpy()].groupby("person_key")["firearm_key"].nunique()


def _nibin_counts(recovered: pd.DataFrame, nibin: pd.DataFrame) -> pd.Series:
    if nibin.empty or recovered.empty:
        return pd.Series(dtype=int)
    linked = set(nibin["src"]).union(nibin["dst"])
    hits = recovered[recovered["trace_id"].isin(linked)]
    return hits.groupby("person_key")["trace_id"].nunique()


class _Groups:
    """The tying groups of one :func:`_pairs` call: each frame of a stored group kind passes through
    :meth:`small`, which leaves out the rows of the groups ``too_big`` names (``<kind>|<group value>``, see
    :func:`compute`) and notes the groups with more persons than ``limit`` (the ``max_group`` the tie is computed
    with, so the groups noted are exactly those the tie leaves out whole)."""

    def __init__(self, too_big: frozenset[str]) -> None:
        self.too_big = too_big
        self.found: list[pd.DataFrame] = []
        # the group values ``too_big`` names, per kind (a frame's values are looked up among them, not each
        # prefixed with its kind first)
        self.values: dict[str, list[str]] = {}
        for group in too_big:
            kind, _, value = group.partition("|")
            self.values.setdefault(kind, []).append(value)

    def small(self, frame: pd.DataFrame, column: str, kind: str, limit: int) -> pd.DataFrame:
        if self.values.get(kind) and len(frame):
            frame = frame[~isin(frame[column].astype(str), self.values[kind])]
        if len(frame) > limit:
            # ``frame.groupby(column, sort=False)["person_key"].nunique()`` over the codes (first seen first, a
            # missing group or person in none): a group-by factorises both Arrow string columns in Python objects
            persons = _PerPerson(frame[column]).nunique(frame["person_key"])
            big = persons[persons.to_numpy() > limit]
            if len(big):
                self.found.append(pd.DataFrame({"group_id": (kind + "|" + big.index.astype(str)).to_numpy(object),
                                                "straw_members": big.to_numpy("int64")}))
        return frame

    def big(self) -> pd.DataFrame:
        return pd.concat(self.found, ignore_index=True) if self.found else _no_big_groups()


def _pairs(events: pd.DataFrame, recovered: pd.DataFrame, t: AnalysisTables,
           too_big: frozenset[str] = frozenset()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Person-person links with a kind and a weight, each unordered pair once per kind; and the groups left out
    whole as too big (:attr:`PersonFeatures.big_groups`). ``too_big``: see :func:`compute`."""
    frames: list[pd.DataFrame] = []
    groups = _Groups(too_big)
    # (each frame cut to the columns it is read by before its rows are filtered: a filter takes every column)
    day = events[["person_key", "dealer_key", "purchase_date"]].dropna(subset=["dealer_key", "purchase_date"])
    day = pd.DataFrame({"person_key": day["person_key"], "day": day["dealer_key"].astype(str) + "|"
                        + day["purchase_date"].dt.strftime("%Y-%m-%d")})
    # (each row once over the columns' dictionary codes, frames.drop_duplicates: the rows are read by position)
    frames.append(_co_members(groups.small(drop_duplicates(day), "day", "jp", 8), "day",
                              "joint_purchase", 1.0, max_group=8))
    places = person_address_keys(t.persons)
    address = pd.DataFrame({"person_key": t.persons["key"].to_numpy(), "place": places})
    address = address[places != ""]
    frames.append(_co_members(groups.small(address, "place", "ad", 6), "place", "shared_address", 1.0, max_group=6))
    poss = recovered[["person_key", "possessor_key"]].dropna(subset=["possessor_key"])
    poss = drop_duplicates(poss[(poss["possessor_key"] != poss["person_key"]).to_numpy()])
    frames.append(_co_members(groups.small(poss, "possessor_key", "cp", 10), "possessor_key", "common_possessor",
                              1.5, max_group=10))
    direct = poss.rename(columns={"person_key": "a", "possessor_key": "b"}).assign(kind="purchaser_possessor",
                                                                                   weight=1.0)
    frames.append(direct)
    if not t.nibin.empty:
        owner = drop_duplicates(recovered[["trace_id", "person_key"]], ["trace_id"])
        link = t.nibin.merge(owner.rename(columns={"trace_id": "src", "person_key": "a"}), on="src").merge(
            owner.rename(columns={"trace_id": "dst", "person_key": "b"}), on="dst")
        frames.append(link[["a", "b"]].assign(kind="nibin", weight=1.0))
    frames.extend(_quick_recovery_ties(recovered, groups))
    frames.append(_counter_ties(events, groups))
    pairs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["a", "b", "kind", "weight"])
    if "specificity" not in pairs.columns:
        pairs["specificity"] = 1.0
    pairs["specificity"] = pairs["specificity"].fillna(1.0).astype(float)
    return _ordered_once(pairs), groups.big()


def _ordered_once(pairs: pd.DataFrame) -> pd.DataFrame:
    """``pairs`` without self-pairs, each with a < b, the first row of each (a, b, kind) kept, in order: over the
    persons' codes in key order (a code compares as its key does) rather than the keys (the keys' way where a key is
    missing, which compares otherwise)."""
    persons = pd.concat([pairs["a"], pairs["b"]], ignore_index=True)
    codes, names = pd.factorize(persons, sort=True)
    if len(pairs) == 0 or (codes < 0).any() or pairs["kind"].isna().any():
        pairs = pairs[pairs["a"] != pairs["b"]]
        swap = pairs["a"] > pairs["b"]
        pairs.loc[swap, ["a", "b"]] = pairs.loc[swap, ["b", "a"]].to_numpy()
        return pairs.drop_duplicates(["a", "b", "kind"]).reset_index(drop=True)
    a, b = codes[:len(pairs)].astype(np.int64), codes[len(pairs):].astype(np.int64)
    kinds, kind_names = pd.factorize(pairs["kind"])
    low, high = np.minimum(a, b), np.maximum(a, b)
    key = (low * len(names) + high) * max(len(kind_names), 1) + kinds
    _, once = np.unique(key, return_index=True)
    at = np.sort(once[(a != b)[once]])  # (a self-pair's key is its own: dropped after)
    pairs = pairs.iloc[at].reset_index(drop=True)
    pairs["a"] = names.take(low[at])
    pairs["b"] = names.take(high[at])
    return pairs


#: A recovery is *quick* within this many days of the purchase (ATF's short time-to-crime threshold): defined with
#: the straw lookup keys that index the quick recoveries (loaders/straw_keys.py)
QUICK_DAYS = straw_keys.QUICK_DAYS
#: Two purchasers' guns bought at one dealer count as one supply line when bought within this many days.
SUPPLY_WINDOW_DAYS = 365
#: Quick recoveries in one city count as recovered together within this many days.
TOGETHER_DAYS = 30
#: Purchases from one source state recovered quickly in one destination city count as one corridor within this
#: many days (a ring spread over many dealers or a long period still works one corridor).
CORRIDOR_WINDOW_DAYS = 730
#: Ties the networks count but the straw score's propagation does not (``straw.tie_weights``): added for ring
#: recovery (docs/accuracy.md, sixth round), measured there without moving any straw score.
NETWORK_ONLY_KINDS = frozenset({"supply_state"})
#: Multiple-sale reports at one dealer count as the same counter within this many days.
COUNTER_WINDOW_DAYS = 180
#: A window of more persons than this says nothing about any one pair (a busy corridor, a big dealer's season)...
MAX_WINDOW_PERSONS = 30
#: ... nor does a group of more persons than this in all (a national corridor such as Georgia -> New York City):
#: such groups are left out whole, as the other ties' busy groups are (and the incremental run can tell).
MAX_WINDOW_GROUP = 40


def _quick_recovery_ties(recovered: pd.DataFrame, groups: _Groups) -> list[pd.DataFrame]:
    """Ties between purchasers who never met at a counter or an address, from where their guns went.

    * ``supply_line``: guns bought at the same dealer within a year of each other and both recovered quickly
      (within 3 years, from someone else or an unrecorded possessor) in the same city (the same source and the
      same destination: the pattern of a ring working one corridor);
    * ``corridor``: guns bought in the same state (at any dealers) within two years of each other and both
      recovered quickly in the same city: a ring spread over many dealers or a long period;
    * ``supply_state``: a supply line whose guns were recovered in the same *state*, in different cities (a ring's
      guns reach its destination's towns, not only its hub); a network tie only (:data:`NETWORK_ONLY_KINDS`),
      and not counted beside the city supply line of the same pair (``analyze.network_ties``). Its groups are not
      read whole by the incremental run (``straw_neighbourhood``): the straw score does not follow the tie, so
      the incremental scores still equal a full run's, and the networks' joins see the ties within the closure;
    * ``recovered_together``: guns recovered quickly in the same city within the same 30 days.
    Each pair's tie is weighted by its :func:`specificity` among the ``n`` persons in its window; windows of more
    than :data:`MAX_WINDOW_PERSONS` persons and groups of more than :data:`MAX_WINDOW_GROUP` are left out."""
    quick = recovered[(recovered["time_to_crime_days"] <= QUICK_DAYS)
                      & (recovered["possessor_key"] != recovered["person_key"])]
    quick = quick.dropna(subset=["recovery_city", "recovery_date"])
    if quick.empty:
        return []
    city = quick["recovery_city"].str.upper() + "|" + quick["recovery_state"].fillna("")
    frames = []
    bought = quick.dropna(subset=["dealer_key", "purchase_date"])
    bought = bought.assign(day=bought["purchase_date"].to_numpy("datetime64[D]").astype(np.int64),
                           line=bought["dealer_key"].astype(str) + "|" + city.reindex(bought.index),
                           corridor=bought["premise_state"].fillna("?") + ">" + city.reindex(bought.index))
    frames.append(_window_pairs(groups.small(bought[["person_key", "line", "day"]], "line", "sl", MAX_WINDOW_GROUP),
                                "line", "day", SUPPLY_WINDOW_DAYS, "supply_line", 1.0))
    corridor = groups.small(bought[["person_key", "corridor", "day"]], "corridor", "co", MAX_WINDOW_GROUP)
    frames.append(_window_pairs(corridor, "corridor", "day", CORRIDOR_WINDOW_DAYS, "corridor", 0.5))
    state = bought["recovery_state"].fillna("").astype(str)
    region = bought[state.to_numpy() != ""]
    region = region.assign(region=region["dealer_key"].astype(str) + "|" + state[state.to_numpy() != ""])
    frames.append(_window_pairs(region[["person_key", "region", "day"]], "region", "day", SUPPLY_WINDOW_DAYS,
                                "supply_state", 1.0))
    together = quick.assign(place=city, day=pd.to_datetime(quick["recovery_date"]).to_numpy("datetime64[D]")
                            .astype(np.int64))
    frames.append(_co_members_within(groups.small(together[["person_key", "place", "day"]], "place", "rt", 6),
                                     "place", "day", TOGETHER_DAYS, "recovered_together", 0.5, max_group=6))
    return frames


def specificity(n: np.ndarray) -> np.ndarray:
    """How much a shared window among ``n`` persons says about one pair of them: ``min(1, 1 / ln n)``, the
    Adamic-Adar weight of a shared feature (Adamic & Adar 2003, "Friends and neighbors on the Web", Social
    Networks 25(3)): 1 for two persons, 0.91 for three, 0.43 among ten, 0.29 among thirty. (Newman's ``1 / (n - 1)``,
    the other weighting tried, shattered 15-straw rings on the sensitivity study's tuning seeds.)

    >>> [round(float(v), 2) for v in specificity(np.array([2, 3, 10, 30]))]
    [1.0, 0.91, 0.43, 0.29]
    """
    return np.minimum(1.0, 1.0 / np.log(np.maximum(np.asarray(n, dtype=float), 2.0)))


def _counter_ties(events: pd.DataFrame, groups: _Groups) -> pd.DataFrame:
    """``same_counter``: persons named on multiple-sale reports at the same dealer within
    :data:`COUNTER_WINDOW_DAYS` (straws sent to one store in turn), weighted by specificity as above."""
    ms = events[["person_key", "report_id", "dealer_key", "purchase_date"]].dropna(
        subset=["report_id", "dealer_key", "purchase_date"])
    ms = ms.assign(day=ms["purchase_date"].to_numpy("datetime64[D]").astype(np.int64),
                   dealer=ms["dealer_key"].astype(str))
    return _window_pairs(groups.small(ms[["person_key", "dealer", "day"]], "dealer", "sc", MAX_WINDOW_GROUP),
                         "dealer", "day",
                         COUNTER_WINDOW_DAYS, "same_counter", 0.5)


def _window_pairs(frame: pd.DataFrame, group: str, day: str, days: int, kind: str, weight: float, *,
                  max_persons: int = MAX_WINDOW_PERSONS, max_group: int = MAX_WINDOW_GROUP) -> pd.DataFrame:
    """Pairs of persons in one group whose first ``day`` in it lie within ``days`` of each other, each with its
    :func:`specificity` for ``n``, the most persons of the group within ``days`` of either of them, and the days
    between their first days (``days_apart``: the networks weigh supply lines by it);
    pairs whose ``n`` exceeds ``max_persons`` are left out, and groups of more than ``max_group`` persons in all.
    A sliding window over the sorted days: linear in the rows plus the pairs."""
    columns = ["a", "b", "kind", "weight", "specificity", "days_apart"]
    frame = frame.dropna()
    if len(frame) < 2:
        return pd.DataFrame(columns=columns)
    # over codes in key order (a code compares as its key does): the persons' and the groups'
    person, names = pd.factorize(frame["person_key"], sort=True)
    place, places = pd.factorize(frame[group], sort=True)
    # each (person, group) once with its first day, in the order of its first row (a group-by's, sort=False)
    _, at, inverse = np.unique(person.astype(np.int64) * len(places) + place, return_index=True,
                               return_inverse=True)
    first = np.full(len(at), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, inverse.reshape(-1), frame[day].to_numpy(np.int64))
    seen = np.argsort(at, kind="stable")
    person, place, first = person[at[seen]], place[at[seen]], first[seen]
    small = np.bincount(place, minlength=len(places))[place] <= max_group  # (each person once per group)
    if small.sum() < 2:
        return pd.DataFrame(columns=columns)
    # sorted by group, then day (stable: equals in that order), over one integer per row (np.lexsort's two
    # passes cost ~4x as much)
    first_day = first[small]
    order = np.argsort(place[small].astype(np.int64) * (int(first_day.max() - first_day.min()) + 1)
                       + (first_day - first_day.min()), kind="stable")
    rank, codes, when = person[small][order], place[small][order].astype(np.int64), first[small][order]
    span = int(when.max() - when.min()) + 2 * days + 1
    key = codes * span + (when - when.min())
    low = np.searchsorted(key, key - days, side="left")
    high = np.searchsorted(key, key + days, side="right")
    crowd = high - low  # persons of the group within `days` of each one (itself included)
    starts = np.arange(len(key)) + 1
    counts = np.clip(high - starts, 0, None)
    counts[crowd > max_persons] = 0
    left = np.repeat(np.arange(len(key)), counts)
    right = (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)) + np.repeat(starts, counts)
    n = np.maximum(crowd[left], crowd[right])
    keep = n <= max_persons
    left, right, n = left[keep], right[keep], n[keep]
    # each pair once, (a, b) with a < b, its most specific row first (the first of equals): over the persons' codes
    a, b = rank[left], rank[right]
    other = a != b
    a, b, n, apart = a[other], b[other], n[other], np.abs(when[left] - when[right])[other]
    low, high = np.minimum(a, b), np.maximum(a, b)
    fit = specificity(n)
    order = np.argsort(-fit, kind="stable")  # sort_values(ascending=False, kind="stable"): equals keep their order
    _, once = np.unique(low[order].astype(np.int64) * len(names) + high[order], return_index=True)
    at = order[np.sort(once)]
    return pd.DataFrame({"a": _taken(names, low[at]), "b": _taken(names, high[at]), "kind": kind, "weight": weight,
                         "specificity": fit[at], "days_apart": apart[at]})[columns]


def _taken(names: pd.Index, codes: np.ndarray) -> pd.Index | np.ndarray:
    """``names[codes]`` as a frame's column takes it: the Index's own take where it holds Arrow strings (an object
    array of them would be converted back string by string), an object array otherwise (inferred as before)."""
    return names.take(codes) if names.dtype != object else np.asarray(names, dtype=object)[codes]


def _co_members_within(frame: pd.DataFrame, group: str, day: str, days: int, kind: str, weight: float, *,
                       max_group: int) -> pd.DataFrame:
    """Pairs of persons in one group whose ``day`` values lie within ``days`` of each other; groups holding more
    than ``max_group`` persons are left out (they say little about any one pair)."""
    frame = frame.drop_duplicates()
    persons = frame.groupby(group)["person_key"].transform("nunique")
    small = frame[(persons >= 2) & (persons <= max_group)]
    joined = small.merge(small, on=group, suffixes=("_a", "_b"))
    joined = joined[(joined["person_key_a"] < joined["person_key_b"])
                    & ((joined[f"{day}_a"] - joined[f"{day}_b"]).abs() <= days)]
    joined = joined.drop_duplicates(["person_key_a", "person_key_b"])
    return pd.DataFrame({"a": joined["person_key_a"].to_numpy(), "b": joined["person_key_b"].to_numpy(),
                         "kind": kind, "weight": weight})


def _co_members(frame: pd.DataFrame, group: str, kind: str, weight: float, *, max_group: int) -> pd.DataFrame:
    """Pairs of persons sharing a group value; groups larger than ``max_group`` (a busy gun-show day, an
    apartment block) say little about any one pair and are left out."""
    a, b = _members_paired(frame, group, max_group)
    return pd.DataFrame({"a": a, "b": b, "kind": kind, "weight": weight})


def _members_paired(frame: pd.DataFrame, group: str, max_group: int) -> tuple[np.ndarray, np.ndarray]:
    """The persons (a, b) with a < b of the rows of each group of 2 to ``max_group`` rows, each row with every row
    of its group, in the frame's order and then the group's (as a merge of those rows with themselves on the group
    lists them): over the groups' codes and the persons' codes in key order (a code compares as its key does), not
    the keys. A row without a group is in none; one without a person counts in its group's size and pairs with no
    one."""
    place, _ = pd.factorize(frame[group])
    person, names = pd.factorize(frame["person_key"], sort=True)
    sizes = np.bincount(place[place >= 0], minlength=1)
    sizes[(sizes < 2) | (sizes > max_group)] = 0  # (groups left out)
    rows = np.flatnonzero(place >= 0)
    rows = rows[sizes[place[rows]] > 0]
    code = place[rows]
    grouped = rows[np.argsort(code, kind="stable")]  # each group's rows together, in the frame's order
    first = np.cumsum(sizes) - sizes  # where each group's rows start among them
    count = sizes[code]
    left = np.repeat(rows, count)
    right = grouped[np.repeat(first[code], count) + np.arange(count.sum()) - np.repeat(np.cumsum(count) - count,
                                                                                          count)]
    low, high = person[left], person[right]
    keep = (low >= 0) & (low < high)
    persons = np.asarray(names, dtype=object)
    return persons[low[keep]], persons[high[keep]]
