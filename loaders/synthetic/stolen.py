"""Recoveries abroad, dealer losses and the lost/stolen reports file (``stolen.csv``).

* **Recoveries abroad**: traces recovered in Mexico, Canada, Guatemala, El Salvador and Honduras, about 3% of all
  traces (ATF traced some 17-20k guns a year for Mexico and a few thousand for Canada and Central America out of
  ~450-500k traces: ATF international trace data 2017-2021). About 70% come back to a US retail sale, from the
  border and Gulf states: GAO-16-223 (2016), *Firearms Trafficking: U.S. Efforts to Combat Firearms Trafficking to
  Mexico Have Improved, but Some Collaboration Challenges Remain*, reports that about 70% of the firearms
  recovered in Mexico and traced in 2009-2014 were US-sourced (mostly Texas, California, Arizona). The others
  come back ``NO RECORD`` (no US retail sale): those are the trace requests still to make.
* **Dealer losses**: licensees' inventory stolen or lost (reported on ATF Form 3310.11); some of those guns are
  recovered in crimes (the trace stops at the dealer: ``INCOMPLETE``, no purchaser).
* ``stolen.csv``: the theft victims' police reports (every gun taken; most victims report within days, some
  never), the dealers' 3310.11 reports, foreign agencies' reports of guns lost abroad (some recovered later
  there), including guns that are never recovered.

Everything here draws from its own random streams (derived from the seed); the output stays byte-identical per
seed, and the background traces are filled around these so the calibration targets still hold.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from loaders.synthetic.dates import format_dates, years
from loaders.synthetic.params import day
from loaders.synthetic.records import Identifiers
from loaders.synthetic.world import World
from loaders.synthetic.writers import write_csv

ABROAD_SHARE = 0.03
US_SOURCED_SHARE = 0.70  # GAO-16-223
VICTIM_REPORT_SHARE = 0.85
# (country, city, weight, US source states)
ABROAD = (("MX", "TIJUANA", 0.16, ("CA", "AZ")), ("MX", "CIUDAD JUAREZ", 0.14, ("TX", "NM")),
          ("MX", "NUEVO LAREDO", 0.10, ("TX",)), ("MX", "CULIACAN", 0.12, ("AZ", "TX", "CA")),
          ("MX", "GUADALAJARA", 0.10, ("TX", "CA")), ("MX", "MONTERREY", 0.10, ("TX",)),
          ("CA", "TORONTO", 0.06, ("MI", "NY", "OH", "PA")), ("CA", "VANCOUVER", 0.04, ("WA",)),
          ("GT", "GUATEMALA CITY", 0.07, ("TX", "FL", "CA")), ("SV", "SAN SALVADOR", 0.05, ("TX", "FL", "VA")),
          ("HN", "TEGUCIGALPA", 0.06, ("TX", "FL", "GA")))
FOREIGN_AGENCIES = {"MX": "MX-FGR", "CA": "CA-RCMP", "GT": "GT-PNC", "SV": "SV-PNC", "HN": "HN-PN"}
COLUMNS = ("report_id", "reported_date", "reporter", "serial_number", "manufacturer", "model", "caliber",
           "weapon_type", "country")


def _stream(world: World, tag: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64([world.params.seed, 0x5703, tag]))


def plant_abroad_and_losses(world: World) -> None:
    """Add the recoveries abroad and the dealer losses (planted before the calibrated background, which fills
    around them; own random stream)."""
    main = world.rng
    world.rng = _stream(world, 1)
    try:
        _plant_abroad(world)
        _plant_dealer_losses(world)
    finally:
        world.rng = main


def _plant_abroad(world: World) -> None:
    rng, p = world.rng, world.params
    n = round(world.params.scale.traces * ABROAD_SHARE)
    weights = np.array([a[2] for a in ABROAD])
    choice = rng.choice(len(ABROAD), size=n, p=weights / weights.sum())
    us_sourced = rng.random(n) < US_SOURCED_SHARE
    rec_day = rng.integers(p.recovery_start, p.recovery_end + 1, n)
    entries: list[dict[str, Any]] = []
    for i in range(n):
        country, city, _w, sources = ABROAD[int(choice[i])]
        model = world.models(1, 0.6)
        if us_sourced[i]:
            state = str(sources[int(rng.integers(0, len(sources)))])
            dealer = int(world.pick_dealers(state, 1, tier_share=0.4)[0])
            buyer = world.people.create(rng, 1, world.home_places(state, 1), birth_from=day(1960, 1, 1),
                                        birth_to=day(2002, 1, 1))
            bought = int(rec_day[i] - 30 - rng.exponential(4 * 365))
            gun = world.buy(dealer, bought, int(buyer[0]), model, report=False)
            status = "COMPLETED"
        else:
            state, dealer = "", -1
            gun = world.guns.add(1, model=model)
            status = "NO RECORD"
        trace = world.traces.add(1, gun=gun, recovery_day=int(rec_day[i]), place=-1, foreign_city=city,
                                 country=country, possessor=-1, status=status,
                                 crime=str(rng.choice(["WEAPON OFFENSE", "POSSESSION", "HOMICIDE"])),
                                 scheme="abroad")
        entries.append({"trace": int(trace[0]), "gun": int(gun[0]), "country": country, "source_state": state,
                        "us_sourced": bool(us_sourced[i]), "dealer": dealer, "recovery_day": int(rec_day[i])})
    world.truth["abroad"] = entries


def _plant_dealer_losses(world: World) -> None:
    rng, p = world.rng, world.params
    n = max(3, round(world.params.scale.traces / 400))
    states = world.geo.recovery_weight
    entries: list[dict[str, Any]] = []
    for _ in range(n):
        state = str(rng.choice(states.index.to_numpy(), p=states.to_numpy()))
        dealer = int(world.pick_dealers(state, 1, tier_share=0.0)[0])
        loss_day = int(rng.integers(p.recovery_start - 365, p.recovery_end - 60))
        k = int(rng.integers(1, 7))
        guns = world.guns.add(k, model=world.models(k, 0.8), dealer=dealer)
        found = guns[rng.random(k) < 0.4]
        traces = np.empty(0, dtype=np.int64)
        rec = loss_day + 10 + rng.exponential(300, len(found)).astype(np.int64)
        keep = world.in_window(rec)
        if keep.any():
            place = world.crime_places(state, int(keep.sum()))
            possessor = world.people.create(rng, int(keep.sum()), place, birth_from=day(1985, 1, 1),
                                            birth_to=day(2005, 1, 1))
            traces = world.traces.add(int(keep.sum()), gun=found[keep], recovery_day=rec[keep], place=place,
                                      possessor=possessor, status="INCOMPLETE", crime="WEAPON OFFENSE",
                                      scheme="dealer_loss")
        entries.append({"dealer": dealer, "loss_day": loss_day, "guns": [int(g) for g in guns],
                        "traces": [int(t) for t in traces]})
    world.truth["dealer_losses"] = entries


def write_stolen(world: World, ids: Identifiers, out: Path) -> tuple[int, dict[str, Any]]:
    """Write ``stolen.csv``; returns (rows, truth section)."""
    rng = _stream(world, 2)
    g = world.guns.frame()
    t = world.traces.frame()
    cat = world.catalogue.models
    trace_of_gun: dict[int, int] = {int(gun): int(i) for i, gun in enumerate(t["gun"].to_numpy())}
    malformed = {e["trace"] for e in world.truth.get("_malformed_traces", [])}
    reports: list[tuple[int, str, str, list[int]]] = []  # (day, reporter, country, guns)
    places = world.geo.places
    for victim in world.truth.get("theft_victims", []):
        if rng.random() >= VICTIM_REPORT_SHARE:
            continue
        taken = [gun for gun in victim["guns"] if gun in trace_of_gun
                 and t["scheme"].iat[trace_of_gun[gun]] == "theft"]
        others = [gun for gun in victim["guns"] if gun not in taken and rng.random() < 0.3]
        home = int(world.people.frame()["place"].to_numpy()[victim["person"]])
        ori = places["ori"].iat[home]
        reporter = str(ori) if isinstance(ori, str) and ori else f"{places['state'].iat[home]}{home % 100000:05d}"
        reports.append((int(victim["theft_date"]) + int(rng.integers(0, 4)), reporter, "US", taken + others))
    for loss in world.truth.get("dealer_losses", []):
        reports.append((int(loss["loss_day"]) + int(rng.integers(0, 3)), str(ids.dealer_current[loss["dealer"]]),
                        "US", list(loss["guns"])))
    abroad = [a for a in world.truth.get("abroad", []) if not a["us_sourced"]]
    for entry in abroad:  # some guns lost by agencies abroad are the ones recovered there later
        if rng.random() < 0.2:
            lost = entry["recovery_day"] - int(rng.integers(60, 1500))
            reports.append((lost, f"{FOREIGN_AGENCIES[entry['country']]}-{int(rng.integers(1, 40)):04d}",
                            entry["country"], [entry["gun"]]))
    n_lost = max(2, len(abroad) // 4)  # and guns lost abroad never recovered
    # the world is closed by now: unrecovered foreign losses are guns of the world nobody traced or sold
    untraced = np.flatnonzero(~np.isin(np.arange(len(g)), t["gun"].to_numpy()) & (g["dealer"].to_numpy() < 0)
                              & (g["batch"].to_numpy() < 0))
    for gun in rng.choice(untraced, size=min(n_lost, len(untraced)), replace=False) if len(untraced) else []:
        country = str(rng.choice(["MX", "GT", "HN", "SV", "CA"]))
        reports.append((int(rng.integers(world.params.recovery_start - 700, world.params.recovery_end)),
                        f"{FOREIGN_AGENCIES[country]}-{int(rng.integers(1, 40)):04d}", country, [int(gun)]))
    reports.sort(key=lambda r: (r[0], r[1], r[3]))
    report_ids = [f"SR{y}-{i + 1:06d}" for i, y in enumerate(years(np.array([r[0] for r in reports],
                                                                                 dtype=np.int64)))]
    cols: dict[str, list[str]] = {c: [] for c in COLUMNS}
    hits: list[dict[str, str]] = []
    for rid, (when, reporter, country, guns) in zip(report_ids, reports, strict=True):
        date_text = str(format_dates(np.array([when]), np.array([False]))[0])
        for gun in sorted(guns):
            model = cat.iloc[int(g["model"].iat[gun])]
            values = (rid, date_text, reporter, str(ids.serials[gun]), str(model["manufacturer"]),
                      str(model["model"]), str(model["caliber"]), str(model["weapon_type"]), country)
            for c, v in zip(COLUMNS, values, strict=True):
                cols[c].append(v)
            trace = trace_of_gun.get(gun)
            if trace is not None and trace not in malformed and not bool(t["obliterated"].iat[trace]):
                hits.append({"trace_id": str(ids.trace_ids[trace]), "report_id": rid})
    rows = write_csv(out / "stolen.csv", [{c: np.array(v, dtype=object) for c, v in cols.items()}], COLUMNS)
    entries = world.truth.get("abroad", [])
    by_country: dict[str, int] = {}
    for e in entries:
        by_country[e["country"]] = by_country.get(e["country"], 0) + 1
    truth = {"reports": len(reports), "rows": rows, "hits": sorted(hits, key=lambda h: (h["trace_id"],
                                                                                          h["report_id"])),
             "abroad": {"traces": len(entries), "by_country": dict(sorted(by_country.items())),
                        "us_sourced_share": round(sum(e["us_sourced"] for e in entries) / max(len(entries), 1),
                                                  4)}}
    return rows, truth
