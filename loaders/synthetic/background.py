"""Ordinary crime guns, filled in around the planted schemes so that the whole trace file hits the calibration
targets: recovery states and source states follow ATF's flow tables, time-to-crime follows NFCTA Vol. II, and
the dealers follow ATF's concentration figure. Also the lawful multiple-sale reports that never lead anywhere.
Vectorised with numpy: this is where the rows of the ``national`` scale come from.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from loaders.synthetic.dealers import largest_remainder
from loaders.synthetic.geography import STATES
from loaders.synthetic.params import day
from loaders.synthetic.world import World

TTC_EDGES = np.array([0, 91, 213, 365, 1095], dtype=np.int64)  # bins: <=3 mo, 3-7 mo, 7-12 mo, 1-3 y, >3 y
CRIMES = np.array(["POSSESSION", "WEAPON OFFENSE", "DRUGS", "ASSAULT", "ROBBERY", "HOMICIDE"], dtype=object)
_CRIME_P = np.array([0.40, 0.28, 0.13, 0.11, 0.05, 0.03])
FOREIGN = (("MX", "TIJUANA", ("CA", "AZ")), ("MX", "CIUDAD JUAREZ", ("TX",)), ("MX", "NUEVO LAREDO", ("TX",)),
           ("MX", "CULIACAN", ("AZ", "TX")), ("CA", "TORONTO", ("MI", "NY", "OH")))


def planted_counts(world: World) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """(recovery x source counts of planted US traces that name a dealer, their TTC days, recovery states)."""
    t = world.traces.frame()
    g = world.guns.frame()
    dealer = g["dealer"].to_numpy()[t["gun"].to_numpy()]
    has_dealer = (dealer >= 0) & t["status"].isin(["COMPLETED", "INCOMPLETE"]).to_numpy() & (t["place"] >= 0)
    rec_state = world.geo.places["state"].to_numpy()[t["place"].to_numpy()[has_dealer]]
    src_state = world.dealers["state"].to_numpy()[dealer[has_dealer]]
    grid = pd.crosstab(pd.Categorical(rec_state, categories=list(STATES)),
                       pd.Categorical(src_state, categories=list(STATES)), dropna=False)
    completed = (t["status"] == "COMPLETED").to_numpy() & (g["purchase_day"].to_numpy()[t["gun"].to_numpy()] >= 0)
    ttc = t["recovery_day"].to_numpy()[completed] - g["purchase_day"].to_numpy()[t["gun"].to_numpy()[completed]]
    return grid.reindex(index=list(STATES), columns=list(STATES), fill_value=0), ttc, rec_state


def _truncated_exponential_scale(mean: float, length: float) -> float:
    """Scale of an exponential truncated to [0, length] whose mean is ``mean`` (bisection)."""
    mean = min(mean, length * 0.499)
    lo, hi = 1.0, 1e7
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        m = mid - length / math.expm1(min(length / mid, 700))
        lo, hi = (mid, hi) if m < mean else (lo, mid)
    return math.sqrt(lo * hi)


def sample_ttc(world: World, n: int, planted_ttc: np.ndarray) -> np.ndarray:
    """Time-to-crime days for ``n`` background completed traces so the whole file meets NFCTA's figures."""
    cal, rng = world.params.calibration, world.rng
    total = n + len(planted_ttc)
    cum = np.array([cal.ttc_within_3_months, cal.ttc_within_7_months, cal.ttc_within_1_year,
                    cal.ttc_within_3_years, 1.0])
    target = np.diff(np.concatenate([[0.0], cum])) * total
    planted_bins = np.bincount(np.searchsorted(TTC_EDGES[1:], planted_ttc, side="left"), minlength=5)[:5]
    need = largest_remainder(np.clip(target - planted_bins, 0, None), n)
    parts = []
    for b in range(4):
        parts.append(rng.integers(TTC_EDGES[b] + (b > 0), TTC_EDGES[b + 1] + 1, need[b]))
    head = np.concatenate(parts)
    n_tail = int(need[4])
    max_days = int(cal.ttc_max_years * 365.25)
    want_total = cal.ttc_mean_years * 365.25 * total
    tail_mean = (want_total - planted_ttc.sum() - head.sum()) / max(n_tail, 1) - TTC_EDGES[4]
    length = max_days - TTC_EDGES[4]
    scale = _truncated_exponential_scale(max(tail_mean, 30.0), length)
    u = rng.random(n_tail)
    excess = -scale * np.log1p(-u * -np.expm1(-length / scale))
    if n_tail and excess.mean() > 0:  # remove sampling noise: hit the target mean exactly
        excess = np.minimum(excess * (max(tail_mean, 30.0) - 1) / excess.mean(), length)
    tail = TTC_EDGES[4] + 1 + excess.astype(np.int64)
    out = np.concatenate([head, tail])
    rng.shuffle(out)
    return out


def fill_background(world: World) -> None:
    rng, params = world.rng, world.params
    cal = params.calibration
    planted_grid, planted_ttc, _ = planted_counts(world)
    n_bg = max(0, params.scale.traces - world.traces.count)
    n_foreign = round(n_bg * cal.foreign_recovery_share)
    n_us = n_bg - n_foreign
    rec_alloc = largest_remainder(world.geo.recovery_weight.reindex(list(STATES)).to_numpy(), n_us)
    rec_state = np.repeat(np.arange(len(STATES)), rec_alloc)
    rng.shuffle(rec_state)
    n_no_record = round(n_us * cal.status_no_record)
    n_incomplete = round(n_us * cal.status_incomplete)
    status = np.array(["NO RECORD"] * n_no_record + ["INCOMPLETE"] * n_incomplete
                      + ["COMPLETED"] * (n_us - n_no_record - n_incomplete), dtype=object)
    rng.shuffle(status)
    known = status != "NO RECORD"
    src_state = np.full(n_us, -1, dtype=np.int64)
    flows = world.geo.flows.to_numpy()
    for r in range(len(STATES)):
        idx = np.flatnonzero(known & (rec_state == r))
        if len(idx) == 0:
            continue
        planted_r = planted_grid.to_numpy()[r]
        target = largest_remainder(flows[r], len(idx) + int(planted_r.sum()))
        quota = np.clip(target - planted_r, 0, None)
        excess = int(quota.sum()) - len(idx)
        if excess > 0:  # planted guns overfill some sources: take the excess from the other out-of-state sources
            out = np.arange(len(STATES)) != r
            quota[out] = largest_remainder(quota[out], max(int(quota[out].sum()) - excess, 0))
        quota = largest_remainder(quota, len(idx)) if quota.sum() != len(idx) else quota
        sources = np.repeat(np.arange(len(STATES)), quota)
        rng.shuffle(sources)
        src_state[idx] = sources
    share = tier_pick_share(world, src_state)
    world.truth["_tier_pick_share"] = [{"share": share}]
    dealer = _pick_background_dealers(world, src_state, share)

    # foreign recoveries (Mexico, Canada): sourced from border states
    f_choice = rng.integers(0, len(FOREIGN), n_foreign)
    f_src = np.array([STATES.index(FOREIGN[c][2][int(rng.integers(0, len(FOREIGN[c][2])))]) for c in f_choice],
                     dtype=np.int64)
    f_dealer = _pick_background_dealers(world, f_src, share)

    completed = np.concatenate([status == "COMPLETED", np.ones(n_foreign, dtype=bool)])
    all_dealer = np.concatenate([dealer, f_dealer])
    all_src = np.concatenate([src_state, f_src])
    n = n_us + n_foreign
    rec_day = rng.integers(params.recovery_start, params.recovery_end + 1, n)
    ttc = np.zeros(n, dtype=np.int64)
    ttc[completed] = sample_ttc(world, int(completed.sum()), planted_ttc)
    purchase_day = np.where(completed, rec_day - ttc, -1)

    # recovery places
    place = np.full(n, -1, dtype=np.int64)
    for r, state in enumerate(STATES):
        idx = np.flatnonzero(rec_state == r)
        if len(idx):
            place[idx] = world.crime_places(state, len(idx))
    foreign_city = np.array([""] * n_us + [FOREIGN[c][1] for c in f_choice], dtype=object)
    country = np.array(["US"] * n_us + [FOREIGN[c][0] for c in f_choice], dtype=object)

    purchaser = _background_purchasers(world, all_src, all_dealer, completed)
    own_gun = completed & (np.concatenate([rec_state, np.full(n_foreign, -2)]) == all_src) & (
        rng.random(n) < cal.possessor_is_purchaser / 0.7)  # ~70% of completed traces are in-state
    people_place = world.people.frame()["place"].to_numpy()
    place = np.where(own_gun, people_place[np.maximum(purchaser, 0)], place)
    crime = CRIMES[rng.choice(len(CRIMES), size=n, p=_CRIME_P)]
    found = rng.random(n) < cal.possessor_missing
    crime = np.where(found & ~own_gun, "FOUND", crime)
    possessor = _background_possessors(world, place, found & ~own_gun)
    possessor = np.where(own_gun, purchaser, possessor)

    models = world.models(n, 0.82)
    guns = world.guns.add(n, model=models, dealer=np.where(np.concatenate([known, np.ones(n_foreign, bool)]),
                                                           all_dealer, -1),
                          purchase_day=purchase_day, purchaser=purchaser)
    status_all = np.concatenate([status, np.array(["COMPLETED"] * n_foreign, dtype=object)])
    obliterated = np.zeros(n, dtype=bool)
    no_record = np.flatnonzero(status_all == "NO RECORD")
    n_obl = min(len(no_record), round(n_us * cal.obliterated_share))
    obliterated[rng.choice(no_record, size=n_obl, replace=False)] = True
    traces = world.traces.add(n, gun=guns, recovery_day=rec_day, place=place, foreign_city=foreign_city,
                              country=country, possessor=possessor, status=status_all, obliterated=obliterated,
                              crime=crime, scheme="background")
    _link_multiple_sales(world, guns[completed & world.is_handgun(models)])
    _lawful_multiple_sales(world)
    _background_nibin(world, traces)


def tier_pick_share(world: World, src_state: np.ndarray) -> float:
    """The share of each state's ordinary traces to give its high-trace tier so that the top 1.2% of dealers
    end up with ATF's 57%: a dry run of the dealer draw (Poisson counts, a separate random stream) per candidate
    share, because at small scales chance alone lifts some ordinary dealers into the top 1.2%."""
    d, cal = world.dealers, world.params.calibration
    eligible = (d["selling"] & d["in_prev"]).to_numpy()
    states, tier, weight = d["state"].to_numpy(), d["tier"].to_numpy(), d["weight"].to_numpy()
    n_state = np.bincount(src_state[src_state >= 0], minlength=len(STATES))
    top_part = np.zeros(len(d))
    rest_part = np.zeros(len(d))
    for s, state in enumerate(STATES):
        cand = np.flatnonzero(eligible & (states == state))
        top, rest = cand[tier[cand]], cand[~tier[cand]]
        if len(rest):
            rest_part[rest] = n_state[s] * weight[rest] / weight[rest].sum()
        if len(top):
            top_part[top] = n_state[s] / len(top)
            if not len(rest):
                rest_part[top] = top_part[top]
        else:
            top_part[rest] = rest_part[rest]
    t, g = world.traces.frame(), world.guns.frame()
    planted_dealer = g["dealer"].to_numpy()[t["gun"].to_numpy()]
    planted = np.bincount(planted_dealer[planted_dealer >= 0], minlength=len(d)).astype(float)
    probe = np.random.Generator(np.random.PCG64(world.params.seed + 0x5EED))
    n_top = max(1, round(eligible.sum() * cal.top_dealer_fraction))
    best, best_gap = cal.top_dealer_trace_share, np.inf
    for share in np.arange(0.30, 0.86, 0.02):
        counts = probe.poisson(planted + share * top_part + (1 - share) * rest_part)[eligible]
        measured = np.sort(counts)[::-1][:n_top].sum() / max(counts.sum(), 1)
        if abs(measured - cal.top_dealer_trace_share) < best_gap:
            best, best_gap = round(float(share), 2), abs(measured - cal.top_dealer_trace_share)
    return best


def _pick_background_dealers(world: World, src_state: np.ndarray, share: float) -> np.ndarray:
    """Within each source state the high-trace tier takes ``share`` of traces; the rest go by weight."""
    rng, d = world.rng, world.dealers
    out = np.full(len(src_state), -1, dtype=np.int64)
    eligible = (d["selling"] & d["in_prev"]).to_numpy()
    states, tier, weight = d["state"].to_numpy(), d["tier"].to_numpy(), d["weight"].to_numpy()
    for s, state in enumerate(STATES):
        idx = np.flatnonzero(src_state == s)
        if len(idx) == 0:
            continue
        cand = np.flatnonzero(eligible & (states == state))
        top, rest = cand[tier[cand]], cand[~tier[cand]]
        use_top = (rng.random(len(idx)) < share) if len(top) else np.zeros(len(idx), dtype=bool)
        if not len(rest):
            use_top[:] = True
        k = int(use_top.sum())
        if k:
            out[idx[use_top]] = top[rng.integers(0, len(top), k)]
        if len(idx) - k:
            w = weight[rest]
            out[idx[~use_top]] = rest[rng.choice(len(rest), size=len(idx) - k, p=w / w.sum())]
    return out


def _background_purchasers(world: World, src: np.ndarray, dealer: np.ndarray, completed: np.ndarray) -> np.ndarray:
    """One person per distinct draw from a state pool ten times the traces: some people own several crime guns."""
    rng = world.rng
    out = np.full(len(src), -1, dtype=np.int64)
    idx = np.flatnonzero(completed)
    counts = np.bincount(src[idx], minlength=len(STATES))
    key = src[idx] * 10**9 + rng.integers(0, np.maximum(counts[src[idx]] * 10, 1))
    uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    state_of = uniq // 10**9
    near_dealer = rng.random(len(uniq)) < 0.5
    home = world.dealers["place"].to_numpy()[dealer[idx[first]]].copy()
    for s in np.unique(state_of[~near_dealer]):
        sel = np.flatnonzero((state_of == s) & ~near_dealer)
        home[sel] = world.home_places(STATES[int(s)], len(sel))
    pids = world.people.create(rng, len(uniq), home, birth_from=day(1940, 1, 1), birth_to=day(2000, 1, 1))
    out[idx] = pids[inverse]
    return out


def _background_possessors(world: World, place: np.ndarray, missing: np.ndarray) -> np.ndarray:
    rng = world.rng
    out = np.full(len(place), -1, dtype=np.int64)
    idx = np.flatnonzero(~missing & (place >= 0))
    counts = np.bincount(place[idx])
    key = place[idx] * 10**9 + rng.integers(0, np.ceil(counts[place[idx]] * 2.5).astype(np.int64) + 1)
    uniq, inverse = np.unique(key, return_inverse=True)
    pids = world.people.create(rng, len(uniq), uniq // 10**9, birth_from=day(1960, 1, 1), birth_to=day(2005, 1, 1),
                               female_share=0.1)
    out[idx] = pids[inverse]
    return out


def _link_multiple_sales(world: World, handgun_guns: np.ndarray) -> None:
    """A few traced handguns were part of a lawful-looking multiple sale (the others never recovered)."""
    rng = world.rng
    chosen = handgun_guns[rng.random(len(handgun_guns)) < 0.05]
    if not len(chosen):
        return
    g = world.guns.frame()
    dealer, day_, buyer = (g[c].to_numpy()[chosen] for c in ("dealer", "purchase_day", "purchaser"))
    reports = world.ms.add(len(chosen), dealer=dealer, sale_day=day_, purchaser=buyer)
    world.guns.update(chosen, ms_report=reports)
    extra = rng.integers(1, 3, len(chosen))
    rep = np.repeat(np.arange(len(chosen)), extra)
    world.guns.add(len(rep), model=world.models(len(rep), 1.0), dealer=dealer[rep], purchase_day=day_[rep],
                   purchaser=buyer[rep], ms_report=reports[rep])


def _lawful_multiple_sales(world: World) -> None:
    rng, p = world.rng, world.params
    n = round(p.scale.traces * p.scale.background_multiple_sale_reports_per_trace)
    d = world.dealers
    eligible = np.flatnonzero((d["selling"] & d["in_current"] & d["in_prev"]).to_numpy())
    w = d["weight"].to_numpy()[eligible] * np.where(d["tier"].to_numpy()[eligible], 5.0, 1.0)
    dealer = eligible[rng.choice(len(eligible), size=n, p=w / w.sum())]
    home = np.where(rng.random(n) < 0.6, d["place"].to_numpy()[dealer], -1)
    states = d["state"].to_numpy()[dealer]
    for s in np.unique(states[home < 0]):
        sel = np.flatnonzero((states == s) & (home < 0))
        home[sel] = world.home_places(str(s), len(sel))
    buyer = world.people.create(rng, n, home, birth_from=day(1945, 1, 1), birth_to=day(2001, 1, 1))
    sale_day = rng.integers(p.recovery_start - 365, p.list_date - 20, n)
    reports = world.ms.add(n, dealer=dealer, sale_day=sale_day, purchaser=buyer)
    k = rng.choice(np.array([2, 2, 2, 3, 3, 4]), size=n)
    rep = np.repeat(np.arange(n), k)
    world.guns.add(len(rep), model=world.models(len(rep), 1.0), dealer=dealer[rep], purchase_day=sale_day[rep],
                   purchaser=buyer[rep], ms_report=reports[rep])


def _background_nibin(world: World, traces: np.ndarray) -> None:
    """Ballistic leads between unrelated recoveries in the same city (noise the analytics must not over-read)."""
    rng = world.rng
    t = world.traces.frame()
    cand = traces[(rng.random(len(traces)) < 0.03) & (t["place"].to_numpy()[traces] >= 0)
                  & ~t["obliterated"].to_numpy()[traces]]
    order = np.lexsort((cand, t["place"].to_numpy()[cand]))
    cand = cand[order]
    same = t["place"].to_numpy()[cand[:-1]] == t["place"].to_numpy()[cand[1:]]
    pairs = np.flatnonzero(same)[::2]
    a, b = cand[pairs], cand[pairs + 1]
    rec = t["recovery_day"].to_numpy()
    lead = np.maximum(rec[a], rec[b]) + rng.integers(3, 90, len(a))
    world.nibin.add(len(a), trace_a=a, trace_b=b, lead_day=lead,
                    status=np.where(rng.random(len(a)) < 0.35, "CONFIRMED", "UNCONFIRMED"))
