"""The straw neighbourhood's rows and group memberships (:mod:`algorithms.straw_neighbourhood`): the analysis
tables cut to some persons (:func:`restrict`), tidied (:func:`tidy`), and the groups of
:func:`algorithms.straw_features._pairs` each person is in by those rows (:func:`memberships`; the same computed over
Arrow arrays and their codes by :func:`own_memberships`, what the neighbourhood runs)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from algorithms import straw_features
from algorithms.frames import (
    STR,
    arrow,
    codes,
    drop_duplicates,
    first_where,
    inner_join_positions,
    key_series,
    mask,
    positions_in,
    sorted_once,
    take,
    valid,
)
from algorithms.tables import AnalysisTables, isin
from graph.side_index import first_rows

#: the columns of the neighbourhood's tables (as the ``straw_*`` reads return them) and those a row is unique by
COLUMNS = {
    "persons": ["key", "last_name", "first_name", "middle_name", "suffix", "dob", "street", "city", "state", "zip",
                "record_count", "address_key"],
    "purchases": ["src", "dst", "sale_id", "purchase_date", "dealer_key", "multiple_sale", "report_id", "source"],
    "firearms": ["key", "manufacturer_normalized", "model", "caliber", "weapon_type", "obliterated",
                 "serial_normalized"],
    "sold": ["src", "dst", "sale_date"],
    "recovered": ["src", "dst"],
    "recoveries": ["key", "recovery_date", "recovery_state", "recovery_city", "recovery_country", "lat", "lon",
                   "time_to_crime_days", "crime_code", "purchase_date", "trace_status", "multiple_sale_report_id"],
    "possessed": ["src", "dst"],
    "nibin": ["src", "dst", "status"],
    "stolen": ["src", "dst", "reported_date"],
}
UNIQUE = {"persons": ["key"], "purchases": ["src", "dst", "sale_id"], "firearms": ["key"], "sold": ["src", "dst"],
          "recovered": ["src", "dst"], "recoveries": ["key"], "possessed": ["src", "dst"],
          "nibin": ["src", "dst", "status"], "stolen": ["src", "dst"]}
MEMBERSHIP = ["person_key", "group", "a1", "a2"]
#: the columns :func:`own_memberships` reads of each table (:func:`lean`)
OWN_COLUMNS = {"persons": ["key", "street", "city", "state", "zip", "address_key"],
               "purchases": ["src", "dst", "sale_id", "purchase_date", "dealer_key", "multiple_sale", "report_id"],
               "recoveries": ["key", "recovery_date", "recovery_state", "recovery_city", "time_to_crime_days"]}


def restrict(t: AnalysisTables, persons: set[str], *, tidied: bool = False) -> AnalysisTables:
    """The analysis tables cut down to the rows the straw features of ``persons`` read (``tidied``: and
    :func:`tidy`, each table taken once)."""
    # the keys as string Series, hashed by Arrow as they are (a Python set of them is converted on every isin)
    people = key_series(persons)
    bought = isin(t.purchases["src"], people)
    guns = t.purchases["dst"][bought]
    found = isin(t.recovered["src"], guns)
    held_here = isin(t.possessed["dst"], people)
    recs = pd.concat([t.recovered["dst"][found], t.possessed["src"][held_here]], ignore_index=True)
    masks = {"persons": isin(t.persons["key"], people), "purchases": bought,
             "firearms": isin(t.firearms["key"], guns), "sold": isin(t.sold["dst"], guns), "recovered": found,
             "recoveries": isin(t.recoveries["key"], recs),
             "possessed": isin(t.possessed["src"], recs) | held_here,
             "nibin": isin(t.nibin["src"], recs) | isin(t.nibin["dst"], recs), "stolen": isin(t.stolen["src"], guns)}
    if tidied:
        parts = {name: sorted_once(getattr(t, name), UNIQUE[name], np.flatnonzero(keep))
                 for name, keep in masks.items()}
    else:
        parts = {name: getattr(t, name)[keep] for name, keep in masks.items()}
    return replace(t, **parts, lives_at=t.lives_at[isin(t.lives_at["src"], people)],
                   state_flows=t.state_flows.iloc[0:0])


def lean(t: AnalysisTables) -> AnalysisTables:
    """``t`` with only the columns :func:`own_memberships` reads (:data:`OWN_COLUMNS`; a cut and a sort take
    every column) and without the tables it does not read."""
    return replace(t, **{name: getattr(t, name)[columns] for name, columns in OWN_COLUMNS.items()},
                   firearms=t.firearms.iloc[0:0], stolen=t.stolen.iloc[0:0], lives_at=t.lives_at.iloc[0:0])


def tidy(t: AnalysisTables) -> AnalysisTables:
    """``t``'s neighbourhood tables with each row once, sorted by the columns that make a row unique."""
    parts = {}
    for name in COLUMNS:
        parts[name] = sorted_once(getattr(t, name), UNIQUE[name])
    return replace(t, **parts)


def memberships(t: AnalysisTables, events: pd.DataFrame, recovered: pd.DataFrame) -> pd.DataFrame:
    """Every (person, group) of :func:`algorithms.straw_features._pairs` the tables show (without the groups'
    size limits), with the anchors a group's other members are looked up by (``a1``, ``a2``): the dealer and day
    (jp), the possessor (cp), the purchaser and possessor (pp), the lead's two recoveries (nb), the recovery whose
    city it is (sl, rt, co), the dealer (sc), the address key (ad)."""
    frames = []
    day = events.dropna(subset=["dealer_key", "purchase_date"])
    dates = day["purchase_date"].dt.strftime("%Y-%m-%d")
    frames.append(pd.DataFrame({"person_key": day["person_key"], "group": "jp|" + day["dealer_key"].astype(str)
                                + "|" + dates, "a1": day["dealer_key"].astype(str), "a2": dates}))
    poss = recovered.dropna(subset=["possessor_key"])
    poss = poss[poss["possessor_key"] != poss["person_key"]]
    frames.append(pd.DataFrame({"person_key": poss["person_key"], "group": "cp|" + poss["possessor_key"],
                                "a1": poss["possessor_key"], "a2": None}))
    direct = "pp|" + poss["person_key"] + "|" + poss["possessor_key"]
    for who in ("person_key", "possessor_key"):
        frames.append(pd.DataFrame({"person_key": poss[who], "group": direct, "a1": poss["person_key"],
                                    "a2": poss["possessor_key"]}))
    if not t.nibin.empty:
        owner = recovered[["trace_id", "person_key"]].drop_duplicates("trace_id")
        lead = "nb|" + t.nibin["src"] + "|" + t.nibin["dst"]
        for end in ("src", "dst"):
            ends = pd.DataFrame({"trace_id": t.nibin[end], "group": lead, "a1": t.nibin["src"],
                                 "a2": t.nibin["dst"]}).merge(owner, on="trace_id")
            frames.append(ends[MEMBERSHIP])
    quick = recovered[(recovered["time_to_crime_days"] <= straw_features.QUICK_DAYS)
                      & (recovered["possessor_key"] != recovered["person_key"])]
    quick = quick.dropna(subset=["recovery_city", "recovery_date"])
    city = quick["recovery_city"].str.upper() + "|" + quick["recovery_state"].fillna("")
    line = quick.dropna(subset=["dealer_key", "purchase_date"])
    frames.append(pd.DataFrame({"person_key": line["person_key"], "a1": line["trace_id"],
                                "group": "sl|" + line["dealer_key"].astype(str) + "|" + city.reindex(line.index),
                                "a2": line["dealer_key"].astype(str)}))
    frames.append(pd.DataFrame({"person_key": quick["person_key"], "group": "rt|" + city, "a1": quick["trace_id"],
                                "a2": None}))
    state = line["premise_state"].fillna("?")
    frames.append(pd.DataFrame({"person_key": line["person_key"], "group": "co|" + state + ">"
                                + city.reindex(line.index), "a1": line["trace_id"], "a2": state}))
    ms = events.dropna(subset=["report_id", "dealer_key", "purchase_date"])
    frames.append(pd.DataFrame({"person_key": ms["person_key"], "group": "sc|" + ms["dealer_key"].astype(str),
                                "a1": ms["dealer_key"].astype(str), "a2": None}))
    places = straw_features.person_address_keys(t.persons)
    keep = places != ""
    frames.append(pd.DataFrame({"person_key": t.persons["key"].to_numpy()[keep], "group": "ad|" + places[keep],
                                "a1": places[keep], "a2": None}))
    frames = [f[MEMBERSHIP] for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=MEMBERSHIP)
    return drop_duplicates(pd.concat(frames, ignore_index=True), ["person_key", "group"])


def membership_events(t: AnalysisTables, states: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`algorithms.straw_features.purchase_and_recovery_events` with what :func:`memberships` reads of it: the
    same rows in the same order, without the firearm facts and with only the dealer's state (``states``: by dealer
    key, each once) of the dealer columns (two merges fewer)."""
    events = straw_features.purchase_events(t)
    events = events.assign(premise_state=events["dealer_key"].map(states))
    rec = t.recovered.rename(columns={"src": "firearm_key", "dst": "trace_id"}).merge(
        t.recoveries.rename(columns={"key": "trace_id"}).drop(columns=["purchase_date"]), on="trace_id", how="left")
    possessor = t.possessed.rename(columns={"src": "trace_id", "dst": "possessor_key"}).drop_duplicates("trace_id")
    rec = rec.merge(possessor, on="trace_id", how="left")
    return events, events.merge(rec, on="firearm_key", how="inner")




def state_arrays(states: pd.Series | pa.Table) -> tuple[pa.Array, pa.Array]:
    """The dealers' states (by dealer key, each once; or the Dealer nodes' table with ``key`` and
    ``premise_state``, as read) as Arrow keys and values, the missing ones left out."""
    if isinstance(states, pa.Table):
        known = states.filter(pc.is_valid(states["premise_state"]))
        return (known["key"].combine_chunks().cast(pa.string()),
                known["premise_state"].combine_chunks().cast(pa.string()))
    known = states.dropna()
    return (pa.array(known.index.to_numpy(dtype=object), pa.string()),
            pa.array(known.to_numpy(dtype=object), pa.string()))


def own_memberships(t: AnalysisTables, states: pd.Series | tuple[pa.Array, pa.Array], *,
                    leads: bool = True) -> pd.DataFrame | None:
    """``memberships(t, *membership_events(t, states))`` for :func:`tidy` tables (the same rows in the same order,
    a lead's only with ``leads``), computed over Arrow arrays and their codes instead of pandas' merges and
    group-bys over strings; None where a column is not a plain Arrow type (the dates not Arrow dates): the caller
    computes it as :func:`memberships` does. ``states``: as :func:`state_arrays` gives them, or the Series."""
    p, sold = t.purchases, t.sold
    if not len(p) or not len(sold):
        return None
    try:
        person, gun = arrow(p["src"]), arrow(p["dst"])
        bought_on, sold_on = arrow(p["purchase_date"]), arrow(sold["sale_date"])
        dealer_of, report_of = arrow(p["dealer_key"]), arrow(p["report_id"])
        multiple = mask(arrow(p["multiple_sale"]).cast(pa.bool_()))
        sold_gun, sold_by = arrow(sold["dst"]), arrow(sold["src"])
        rec_gun, rec_trace = arrow(t.recovered["src"]), arrow(t.recovered["dst"])
        recs = t.recoveries
        rec_key, city_of, state_of = arrow(recs["key"]), arrow(recs["recovery_city"]), arrow(recs["recovery_state"])
        dated, ttc = arrow(recs["recovery_date"]).is_valid(), arrow(recs["time_to_crime_days"]).cast(pa.float64())
        held, holder = arrow(t.possessed["src"]), arrow(t.possessed["dst"])
        nibin = [arrow(t.nibin[end]) for end in ("src", "dst")] if leads and len(t.nibin) else []
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    strings = [person, gun, dealer_of, report_of, sold_gun, sold_by, rec_gun, rec_trace, rec_key, city_of, state_of,
               held, holder, *nibin]
    if not all(pa.types.is_date32(d.type) or pa.types.is_null(d.type) for d in (bought_on, sold_on)) or not all(
            pa.types.is_string(s.type) or pa.types.is_null(s.type) for s in strings):
        return None
    # a column of nulls only (a store with no recovery or lead yet) typed as the others: Arrow's kernels have none
    # for the null type
    (person, gun, dealer_of, report_of, sold_gun, sold_by, rec_gun, rec_trace, rec_key, city_of, state_of, held,
     holder, *nibin) = (s.cast(pa.string()) if pa.types.is_null(s.type) else s for s in strings)
    bought_on, sold_on = (d.cast(pa.date32()) if pa.types.is_null(d.type) else d for d in (bought_on, sold_on))
    # purchase_events: a SOLD row per gun (the first), its dealer and date where the purchase record has none
    once = pa.array(first_rows([sold_gun]))
    at = positions_in(gun, sold_gun.take(once))
    dealer = pc.coalesce(dealer_of.cast(pa.string()), take(sold_by.take(once).cast(pa.string()), at))
    day = pc.coalesce(bought_on.cast(pa.date32()), take(sold_on.take(once).cast(pa.date32()), at))
    # one event per (person, gun), in the order first met (groupby(sort=False)): the first day, the first dealer
    # and report (nulls skipped), whether any record is a multiple sale
    person_codes, gun_codes = codes(person), codes(gun)
    labels, uniques = pd.factorize(person_codes[0] * (int(gun_codes[0].max()) + 1) + gun_codes[0])
    events = len(uniques)
    rows = np.flatnonzero(valid(day))
    days = day.cast(pa.int32()).to_numpy(zero_copy_only=False)
    none = np.iinfo(np.int64).max
    first_day = np.full(events, none, np.int64)
    np.minimum.at(first_day, labels[rows], days[rows].astype(np.int64))
    ev_day = pa.array(np.where(first_day == none, 0, first_day).astype(np.int32), mask=first_day == none)
    ev_dates = ev_day.cast(pa.date32()).cast(pa.string())
    ev_dealer = take(dealer, first_where(labels, events, valid(dealer)))
    ev_report = take(report_of.cast(pa.string()), first_where(labels, events, valid(report_of) & multiple))
    ev_first = pa.array(first_where(labels, events, np.ones(len(labels), bool)))
    ev_person, ev_gun = person.take(ev_first), gun.take(ev_first)
    state_keys, state_values = states if isinstance(states, tuple) else state_arrays(states)
    ev_state = take(state_values, positions_in(ev_dealer, state_keys))
    # the recoveries (RECOVERED_IN with its Recovery and its first possessor), joined to the events by gun
    at = positions_in(rec_trace, rec_key)
    first_held = pa.array(first_rows([held]))
    r_possessor = take(holder.take(first_held), positions_in(rec_trace, held.take(first_held)))
    left, right = inner_join_positions(*codes(ev_gun, rec_gun))
    lefts, rights = pa.array(left), pa.array(right)
    j_person, j_dealer, j_state = ev_person.take(lefts), ev_dealer.take(lefts), ev_state.take(lefts)
    j_day = valid(ev_day)[left]
    j_trace, j_possessor = rec_trace.take(rights), r_possessor.take(rights)
    j_city, j_rstate = take(city_of, at).take(rights), take(state_of, at).take(rights)
    j_dated, j_ttc = take(dated, at).fill_null(False).take(rights), take(ttc, at).take(rights)
    parts: list[tuple[pa.Array, pa.Array, pa.Array, pa.Array | None]] = []

    def add(where: np.ndarray, who: pa.Array, group: pa.Array, a1: pa.Array, a2: pa.Array | None) -> None:
        keep = pa.array(where)
        parts.append((who.filter(keep), group.filter(keep), a1.filter(keep), None if a2 is None else a2.filter(keep)))

    def join(*pieces: str | pa.Array) -> pa.Array:
        return pc.binary_join_element_wise(*pieces, "")

    dealt = valid(ev_dealer) & valid(ev_day)
    add(dealt, ev_person, join("jp|", ev_dealer, "|", ev_dates), ev_dealer, ev_dates)
    other = mask(pc.fill_null(pc.not_equal(j_possessor, j_person), True))  # (pandas: a null is unequal)
    possessed = valid(j_possessor) & other
    add(possessed, j_person, join("cp|", j_possessor), j_possessor, None)
    direct = join("pp|", j_person, "|", j_possessor)
    add(possessed, j_person, direct, j_person, j_possessor)
    add(possessed, j_possessor, direct, j_person, j_possessor)
    if nibin:
        owners = pa.array(first_rows([j_trace]))
        owner_trace, owner = j_trace.take(owners), j_person.take(owners)
        lead = join("nb|", nibin[0], "|", nibin[1])
        for end in nibin:
            at = positions_in(end, owner_trace)
            add(at < len(owner_trace), take(owner, at), lead, nibin[0], nibin[1])
    quick = mask(pc.less_equal(j_ttc, straw_features.QUICK_DAYS)) & other & valid(j_city) & mask(j_dated)
    upper = pa.array(pd.Series(j_city, dtype=STR).str.upper(), pa.string(), from_pandas=True)
    city = join(upper, "|", pc.fill_null(j_rstate, ""))
    line = quick & valid(j_dealer) & j_day
    add(line, j_person, join("sl|", j_dealer, "|", city), j_trace, j_dealer)
    add(quick, j_person, join("rt|", city), j_trace, None)
    state = pc.fill_null(j_state, "?")
    add(line, j_person, join("co|", state, ">", city), j_trace, state)
    add(valid(ev_report) & dealt, ev_person, join("sc|", ev_dealer), ev_dealer, None)
    places = straw_features.person_address_keys(t.persons)
    keep = places != ""
    place = pa.array(places[keep], pa.string())
    parts.append((arrow(t.persons["key"]).filter(pa.array(keep)), join("ad|", place), place, None))
    parts = [part for part in parts if len(part[0])]
    if not parts:
        return pd.DataFrame(columns=MEMBERSHIP)
    who, group = pa.concat_arrays([part[0] for part in parts]), pa.concat_arrays([part[1] for part in parts])
    a1 = pa.concat_arrays([part[2] for part in parts])
    a2 = pa.concat_arrays([pa.nulls(len(part[0]), pa.string()) if part[3] is None else part[3] for part in parts])
    once = pa.array(first_rows([who, group]))
    return pd.DataFrame({"person_key": STR.__from_arrow__(who.take(once)),
                         "group": STR.__from_arrow__(group.take(once)), "a1": STR.__from_arrow__(a1.take(once)),
                         "a2": pd.Series(a2.take(once).to_numpy(zero_copy_only=False), dtype=object)})
