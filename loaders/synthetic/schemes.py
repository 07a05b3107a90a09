"""Planted trafficking: straw-purchase rings, unlicensed dealers and corrupt-dealer diversion along corridors.

NFCTA Vol. III: straw purchasing appears in about 40% of trafficking investigations, with about 11 firearms per
straw case; the other channels here (unlicensed dealing, corrupt licensees) share the remaining cases.
Truth entries keep internal row numbers (``traces``, ``ms_reports``, ``persons``); ``truth.py`` turns them into
the identifiers written to the files.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np

from loaders.synthetic.params import day
from loaders.synthetic.world import World

# (source state, destination state, destination city): documented interstate corridors (ATF flow tables show
# these states among the top out-of-state sources of New York's and Illinois' crime guns) plus a few more.
CORRIDORS: tuple[tuple[str, str, str], ...] = (
    ("GA", "NY", "New York"), ("VA", "NY", "New York"), ("SC", "NY", "New York"), ("NC", "NY", "New York"),
    ("FL", "NY", "New York"), ("IN", "IL", "Chicago"), ("MS", "IL", "Chicago"), ("VA", "MD", "Baltimore"),
    ("PA", "NJ", "Newark"), ("AZ", "CA", "Los Angeles"), ("GA", "MA", "Boston"), ("OH", "MI", "Detroit"),
)
_CORRIDOR_WEIGHTS = np.array([3, 3, 2, 2, 2, 3, 2, 1.5, 1.5, 1, 1, 1], dtype=float)
# Local schemes: source and destination in the same state.
LOCAL: tuple[tuple[str, str, str], ...] = (
    ("TX", "TX", "Houston"), ("IL", "IL", "Chicago"), ("PA", "PA", "Philadelphia"), ("TN", "TN", "Memphis"),
    ("CA", "CA", "Oakland"), ("MO", "MO", "St. Louis"), ("GA", "GA", "Atlanta"), ("OH", "OH", "Cleveland"),
)
VIOLENT_CRIMES = np.array(["ASSAULT", "ROBBERY", "HOMICIDE", "DRUGS", "WEAPON OFFENSE", "POSSESSION"], dtype=object)
_VIOLENT_P = np.array([0.22, 0.12, 0.06, 0.2, 0.2, 0.2])


class Recovered(NamedTuple):
    traces: np.ndarray  # new trace rows
    guns: np.ndarray  # the recovered guns
    days: np.ndarray  # recovery days
    obliterated: np.ndarray


def corridor_label(c: tuple[str, str, str]) -> str:
    return f"{c[0]}->{c[1]}"


def _pick_corridor(world: World, local_share: float = 0.2) -> tuple[str, str, str]:
    rng = world.rng
    if rng.random() < local_share:
        return LOCAL[int(rng.integers(0, len(LOCAL)))]
    return CORRIDORS[int(rng.choice(len(CORRIDORS), p=_CORRIDOR_WEIGHTS / _CORRIDOR_WEIGHTS.sum()))]


def _recover(world: World, guns: np.ndarray, purchase_days: np.ndarray, *, recover_share: float,
             ttc_mean: float, dest_state: str, dest_city: str, possessors: np.ndarray, scheme: str,
             obliterated_share: float = 0.08, status: np.ndarray | None = None,
             possessor_missing: float = 0.1) -> Recovered:
    """Recover some of ``guns`` in the destination (mostly the hub city)."""
    rng = world.rng
    n = len(guns)
    rec_day = purchase_days + world.ttc_days(n, ttc_mean)
    keep = (rng.random(n) < recover_share) & world.in_window(rec_day)
    k = int(keep.sum())
    if k == 0:
        empty = np.empty(0, dtype=np.int64)
        return Recovered(empty, empty, empty, np.empty(0, dtype=bool))
    hub = world.place_of(dest_state, dest_city)
    place = np.where(rng.random(k) < 0.8, hub, world.crime_places(dest_state, k))
    obliterated = rng.random(k) < obliterated_share
    possessor = np.where(rng.random(k) < possessor_missing, -1, possessors[rng.integers(0, len(possessors), k)])
    crime = VIOLENT_CRIMES[rng.choice(len(VIOLENT_CRIMES), size=k, p=_VIOLENT_P)]
    crime = np.where(possessor < 0, "FOUND", crime)
    traces = world.traces.add(k, gun=guns[keep], recovery_day=rec_day[keep], place=place, possessor=possessor,
                              status=np.where(obliterated, "NO RECORD",
                                              "COMPLETED" if status is None else status[keep]),
                              obliterated=obliterated,
                              crime=crime, scheme=scheme)
    return Recovered(traces, guns[keep], rec_day[keep], obliterated)


def plant_trafficking(world: World) -> None:
    scale, cal, _rng = world.params.scale, world.params.calibration, world.rng
    n_cases = max(3, round(scale.traces * scale.trafficking_cases_per_1000_traces / 1000))
    n_straw = max(1, round(n_cases * cal.straw_case_share))
    n_unlicensed = max(1, round(n_cases * cal.unlicensed_case_share))
    n_diversion = max(1, n_cases - n_straw - n_unlicensed)
    corrupt = _corrupt_dealers(world, n_diversion)
    world.truth["corrupt_dealers"] = [{"dealer": int(d), "rings": [], "traces": []} for d in corrupt]
    world.corrupt_entries = {e["dealer"]: e for e in world.truth["corrupt_dealers"]}
    world.truth["rings"] = []
    world.truth["straw_purchasers"] = []
    world.truth["unlicensed_dealers"] = []
    world.truth["nibin_groups"] = []
    for i in range(n_straw):
        _straw_ring(world, i, corrupt)
    for i in range(n_unlicensed):
        _unlicensed_dealer(world, i)
    for i, dealer in enumerate(corrupt):
        _diversion(world, i, int(dealer))


def _corrupt_dealers(world: World, n: int) -> np.ndarray:
    rng = world.rng
    chosen: list[int] = []
    for _ in range(n):
        src = _pick_corridor(world, 0.2)[0]
        cand = world.selling_dealers(src)
        tier = world.dealers["tier"].to_numpy()[cand]
        big = cand[tier & ~np.isin(cand, chosen)] if world.params.scenario.corrupt_dealer_big else cand[:0]
        cand = big if len(big) else cand[~tier & ~np.isin(cand, chosen)]
        chosen.append(int(rng.choice(cand)))
    world.dealers.loc[chosen, "corrupt"] = True
    return np.array(chosen, dtype=np.int64)


def _window_start(world: World, span: int) -> int:
    p = world.params
    return int(world.rng.integers(p.recovery_start - 150, p.recovery_end - span))


def _straw_ring(world: World, i: int, corrupt: np.ndarray) -> None:
    rng, cal, sc = world.rng, world.params.calibration, world.params.scenario
    corridor = _pick_corridor(world)
    src, dest, city = corridor
    n_straws = int(rng.integers(sc.ring_size[0], sc.ring_size[1] + 1))
    # negative binomial around the NFCTA mean; one less because every straw buys at least one gun
    total = max(n_straws, int(rng.negative_binomial(3, 3 / (3 + cal.guns_per_straw_case - 1))))
    hub = world.place_of(dest, city)
    trafficker = world.people.create(rng, 1, np.array([hub]), birth_from=day(1980, 1, 1),
                                     birth_to=day(2000, 1, 1), female_share=0.05)
    n_assoc = int(rng.integers(2, 7))
    associates = world.people.create(rng, n_assoc, world.crime_places(dest, n_assoc), birth_from=day(1985, 1, 1),
                                     birth_to=day(2004, 1, 1), female_share=0.05)
    possessors = np.concatenate([trafficker, associates, associates])
    local_corrupt = corrupt[world.dealers["state"].to_numpy()[corrupt] == src]
    dealers = world.pick_dealers(src, int(rng.integers(sc.ring_dealers[0], sc.ring_dealers[1] + 1)))
    used_corrupt = bool(len(local_corrupt)) and rng.random() < 0.5
    if used_corrupt:
        dealers = np.concatenate([[int(rng.choice(local_corrupt))], dealers])[:3]
    homes = world.dealers["place"].to_numpy()[dealers[rng.integers(0, len(dealers), n_straws)]]
    away = rng.random(n_straws) < 0.4  # the others live in the dealer's town
    homes[away] = world.home_places(src, int(away.sum()))
    straws = world.people.create(rng, n_straws, homes, birth_from=day(1983, 1, 1), birth_to=day(2002, 1, 1),
                                 female_share=0.35)
    if n_straws >= 2 and rng.random() < sc.household_share:  # two straws of one household
        world.households.append((int(straws[1]), int(straws[0])))
    remaining = 1 + rng.multinomial(total - n_straws, np.full(n_straws, 1 / n_straws))
    window = sc.purchase_window_days
    start = _window_start(world, window)
    guns_all: list[np.ndarray] = []
    days_all: list[np.ndarray] = []
    while remaining.sum() > 0:
        who = int(np.flatnonzero(remaining > 0)[0])
        dealer = int(rng.choice(dealers))
        visit = start + int(rng.integers(0, window))
        buyers = [who]
        others = np.flatnonzero((remaining > 0) & (np.arange(n_straws) != who))
        if len(others) and rng.random() < sc.joint_purchase_share:  # joint purchase: one counter, one day
            buyers.append(int(rng.choice(others)))
        for b in buyers:
            k = min(int(remaining[b]), int(rng.integers(1, sc.straw_guns_per_visit + 1)))
            guns_all.append(world.buy(dealer, visit, int(straws[b]), world.models(k, 0.9)))
            days_all.append(np.full(k, visit))
            remaining[b] -= k
    guns = np.concatenate(guns_all)
    days = np.concatenate(days_all)
    found = _recover(world, guns, days, recover_share=0.55, ttc_mean=sc.straw_ttc_mean_days, dest_state=dest,
                     dest_city=city, possessors=possessors, scheme="straw_ring",
                     possessor_missing=1.0 - sc.ring_possessor_recorded)
    traces = found.traces
    ring_id = len(world.truth["rings"])
    world.truth["rings"].append({
        "ring": ring_id, "corridor": corridor_label(corridor), "source_state": src, "destination_state": dest,
        "destination_city": city, "trafficker": int(trafficker[0]), "straws": [int(s) for s in straws],
        "dealers": [int(d) for d in dealers], "corrupt_dealer_used": used_corrupt, "guns": [int(g) for g in guns],
        "traces": [int(t) for t in traces], "possessors": sorted({int(p) for p in possessors})})
    if used_corrupt:
        world.corrupt_entries[int(dealers[0])]["rings"].append(ring_id)
    for s in straws:
        world.truth["straw_purchasers"].append({"person": int(s), "ring": ring_id})
    _nibin_group(world, found, ring_id, "straw_ring")


def _nibin_group(world: World, found: Recovered, scheme_id: int, scheme: str) -> None:
    rng = world.rng
    usable = np.flatnonzero(~found.obliterated)
    if len(usable) < 2 or rng.random() > 0.6:
        return
    members = rng.choice(usable, size=min(len(usable), int(rng.integers(2, 5))), replace=False)
    members = np.sort(members)
    group = len(world.truth["nibin_groups"])
    for a, b in itertools.pairwise(members):
        lead_day = int(max(found.days[a], found.days[b]) + rng.integers(3, 60))
        world.nibin.add(1, trace_a=int(found.traces[a]), trace_b=int(found.traces[b]), lead_day=lead_day,
                        status="CONFIRMED" if rng.random() < 0.7 else "UNCONFIRMED", group=group)
    world.truth["nibin_groups"].append({"group": group, "traces": [int(found.traces[m]) for m in members],
                                        "scheme": scheme, "scheme_index": scheme_id})


def _unlicensed_dealer(world: World, i: int) -> None:
    rng = world.rng
    corridor = _pick_corridor(world, 0.3)
    src, dest, city = corridor
    person = world.people.create(rng, 1, world.home_places(src, 1), birth_from=day(1970, 1, 1),
                                 birth_to=day(1998, 1, 1), female_share=0.08)
    dealers = world.pick_dealers(src, int(rng.integers(2, 5)), tier_share=0.5)
    total = int(rng.integers(8, 31))
    start = _window_start(world, 300)
    guns_all, days_all = [], []
    left = total
    while left > 0:
        k = min(left, int(rng.integers(2, 6)))
        visit = start + int(rng.integers(0, 300))
        guns_all.append(world.buy(int(rng.choice(dealers)), visit, int(person[0]), world.models(k, 0.85)))
        days_all.append(np.full(k, visit))
        left -= k
    guns, days = np.concatenate(guns_all), np.concatenate(days_all)
    buyers = world.people.create(rng, max(2, total // 2), world.crime_places(dest, max(2, total // 2)),
                                 birth_from=day(1980, 1, 1), birth_to=day(2004, 1, 1), female_share=0.05)
    traces = _recover(world, guns, days, recover_share=0.45, ttc_mean=200, dest_state=dest, dest_city=city,
                      possessors=buyers, scheme="unlicensed_dealer", obliterated_share=0.05).traces
    world.truth["unlicensed_dealers"].append({
        "index": i, "person": int(person[0]), "corridor": corridor_label(corridor), "source_state": src,
        "destination_state": dest, "destination_city": city, "dealers": [int(d) for d in dealers],
        "guns": [int(g) for g in guns], "traces": [int(t) for t in traces]})


def _diversion(world: World, i: int, dealer: int) -> None:
    """A corrupt licensee sells off the books: traces stop at the dealer (INCOMPLETE) or name a paper buyer."""
    rng = world.rng
    src = str(world.dealers.at[dealer, "state"])
    dest_options = [c for c in CORRIDORS + LOCAL if c[0] == src] or [(src, src, "")]
    corridor = dest_options[int(rng.integers(0, len(dest_options)))]
    dest, city = corridor[1], corridor[2]
    if not city:
        places = world.crime_places(dest, 1)
        city = str(world.geo.places.at[int(places[0]), "city"])
    n_paper = int(rng.integers(1, 3))
    paper = world.people.create(rng, n_paper, world.home_places(src, n_paper),
                                birth_from=day(1960, 1, 1), birth_to=day(2000, 1, 1))
    n = int(rng.integers(6, 21))
    start = _window_start(world, 360)
    days = start + rng.integers(0, 360, n)
    purchaser = np.where(rng.random(n) < 0.4, paper[rng.integers(0, len(paper), n)], -1)
    guns = world.guns.add(n, model=world.models(n, 0.9), dealer=dealer, purchase_day=days, purchaser=purchaser)
    buyers = world.people.create(rng, max(2, n // 2), world.crime_places(dest, max(2, n // 2)),
                                 birth_from=day(1980, 1, 1), birth_to=day(2004, 1, 1), female_share=0.05)
    # no Form 4473 behind an off-book sale: the trace stops at the dealer
    found = _recover(world, guns, days, recover_share=0.9, ttc_mean=120, dest_state=dest, dest_city=city,
                     possessors=buyers, scheme="dealer_diversion", obliterated_share=0.03,
                     status=np.where(purchaser < 0, "INCOMPLETE", "COMPLETED"))
    traces = found.traces
    if dealer in world.corrupt_entries:
        world.corrupt_entries[dealer].update({"corridor": corridor_label((src, dest, city)), "destination_city": city,
                          "traces": [int(t) for t in traces], "paper_purchasers": [int(p) for p in paper]})
    _nibin_group(world, found, i, "dealer_diversion")
