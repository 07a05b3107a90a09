"""The hard negatives and the serial batches.

* Lawful collectors buy many handguns (many multiple-sale reports) and their guns are rarely recovered, late.
* Theft and burglary victims: guns bought singly (no multiple-sale report), stolen in one burglary, then
  recovered fast, several in one burst at one place from one possessor, often far away. On time-to-crime alone
  they look like straw purchasers.
* Serial batches: guns of one make and model with consecutive serials, diverted at one point (a dealer's
  inventory or a shipment in transit) and recovered in different cities.
"""

from __future__ import annotations

import numpy as np

from loaders.synthetic.params import day
from loaders.synthetic.world import World


def plant_collectors(world: World, source_states: np.ndarray, source_p: np.ndarray) -> None:
    rng, scale, p = world.rng, world.params.scale, world.params
    n = max(2, round(scale.traces * scale.collectors_per_1000_traces / 1000))
    world.truth["collectors"] = []
    for _i in range(n):
        state = str(rng.choice(source_states, p=source_p))
        person = world.people.create(rng, 1, world.home_places(state, 1), birth_from=day(1945, 1, 1),
                                     birth_to=day(1978, 1, 1), female_share=0.05)
        dealers = world.pick_dealers(state, int(rng.integers(1, 4)), tier_share=0.3)
        reports = int(rng.integers(4, 16))
        visits = np.sort(rng.integers(p.recovery_start - 8 * 365, p.recovery_end - 30, reports))
        guns_all, days_all = [], []
        for visit in visits:
            k = int(rng.integers(2, 6))
            guns_all.append(world.buy(int(rng.choice(dealers)), int(visit), int(person[0]), world.models(k, 1.0)))
            days_all.append(np.full(k, visit))
        guns, days = np.concatenate(guns_all), np.concatenate(days_all)
        traces = np.empty(0, dtype=np.int64)
        if rng.random() < 0.25:  # one gun stolen and recovered years later in the home state
            g = int(rng.integers(0, len(guns)))
            rec = int(days[g] + rng.integers(4 * 365, 12 * 365))
            if world.in_window(np.array([rec]))[0]:
                traces = world.traces.add(1, gun=guns[g], recovery_day=rec, place=world.crime_places(state, 1),
                                          possessor=world.people.create(rng, 1, world.crime_places(state, 1),
                                                                        birth_from=day(1975, 1, 1),
                                                                        birth_to=day(2004, 1, 1)),
                                          crime="POSSESSION", scheme="collector")
        world.truth["collectors"].append({"person": int(person[0]), "guns": [int(g) for g in guns],
                                          "traces": [int(t) for t in traces]})


def plant_theft_victims(world: World, source_states: np.ndarray, source_p: np.ndarray) -> None:
    rng, scale, p = world.rng, world.params.scale, world.params
    n = max(2, round(scale.traces * scale.theft_victims_per_1000_traces / 1000))
    world.truth["theft_victims"] = []
    states = world.geo.recovery_weight
    for _ in range(n):
        state = str(rng.choice(source_states, p=source_p))
        person = world.people.create(rng, 1, world.home_places(state, 1), birth_from=day(1950, 1, 1),
                                     birth_to=day(1995, 1, 1), female_share=0.15)
        theft_day = int(rng.integers(p.recovery_start + 30, p.recovery_end - 90))
        k = int(rng.integers(3, 8))
        # bought one at a time, weeks apart, in the 2 years before the theft: no multiple-sale report
        gaps = rng.integers(20, 150, k)
        days = theft_day - np.cumsum(gaps)[::-1] - int(rng.integers(10, 120))
        dealers = world.pick_dealers(state, int(rng.integers(1, 3)), tier_share=0.3)
        guns = np.concatenate([world.buy(int(rng.choice(dealers)), int(d), int(person[0]),
                                         world.models(1, 0.7), report=False) for d in days])
        m = int(rng.integers(2, min(k, 5) + 1))
        taken = np.sort(rng.choice(len(guns), size=m, replace=False))
        far = rng.random() < 0.5
        rec_state = str(rng.choice(states.index.to_numpy(), p=states.to_numpy())) if far else state
        place = int(world.crime_places(rec_state, 1)[0])
        burst_day = theft_day + int(rng.integers(3, 60))
        possessor = world.people.create(rng, 1, np.array([place]), birth_from=day(1985, 1, 1),
                                        birth_to=day(2005, 1, 1), female_share=0.05)
        rec_days = burst_day + (rng.random(m) < 0.2) * rng.integers(1, 4, m)
        traces = world.traces.add(m, gun=guns[taken], recovery_day=rec_days, place=place,
                                  possessor=np.where(rng.random(m) < 0.85, possessor[0], -1),
                                  crime=rng.choice(np.array(["POSSESSION", "WEAPON OFFENSE", "DRUGS"],
                                                            dtype=object), size=m), scheme="theft")
        world.truth["theft_victims"].append({
            "person": int(person[0]), "theft_date": int(theft_day), "home_state": state,
            "recovery_state": rec_state, "recovery_place": place, "guns": [int(g) for g in guns],
            "traces": [int(t) for t in traces]})


def plant_batches(world: World) -> None:
    rng, p = world.rng, world.params
    world.truth["batches"] = []
    handguns = np.flatnonzero(world.is_handgun(np.arange(len(world.catalogue.models))))
    states = world.geo.recovery_weight
    for b in range(world.params.scale.serial_batches):
        model = int(rng.choice(handguns))
        size = int(rng.integers(8, 31))
        in_transit = rng.random() < 0.35
        src_state = str(rng.choice(states.index.to_numpy(), p=states.to_numpy()))
        dealer = -1 if in_transit else int(world.pick_dealers(src_state, 1, tier_share=0.0)[0])
        diverted = int(rng.integers(p.recovery_start - 400, p.recovery_end - 400))
        first = int(rng.integers(10_000, 900_000))
        guns = world.guns.add(size, model=model, dealer=dealer, batch_number=first + np.arange(size), batch=b)
        m = max(3, round(size * rng.uniform(0.3, 0.7)))
        taken = np.sort(rng.choice(size, size=m, replace=False))
        n_states = int(rng.integers(2, 6))
        rec_states = rng.choice(states.index.to_numpy(), size=n_states, replace=False, p=states.to_numpy())
        places = np.concatenate([world.crime_places(str(s), 1) for s in rec_states])
        place = places[rng.integers(0, n_states, m)]
        rec_days = np.minimum(diverted + rng.integers(20, 3 * 365, m), p.recovery_end)
        rec_days = np.maximum(rec_days, p.recovery_start)
        possessor = world.people.create(rng, m, place, birth_from=day(1980, 1, 1), birth_to=day(2005, 1, 1))
        traces = world.traces.add(m, gun=guns[taken], recovery_day=rec_days, place=place, possessor=possessor,
                                  status="INCOMPLETE",
                                  crime=rng.choice(np.array(["POSSESSION", "WEAPON OFFENSE", "ROBBERY"],
                                                            dtype=object), size=m), scheme="batch")
        world.truth["batches"].append({"batch": b, "model": model, "dealer": dealer, "in_transit": bool(in_transit),
                                       "source_state": src_state, "diversion_date": diverted,
                                       "guns": [int(g) for g in guns], "traces": [int(t) for t in traces]})
