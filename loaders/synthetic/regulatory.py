"""Dealer inspections and violations (DATA_FORMATS.md section 5), the FFL list rows (section 1) and the UCR
hotspot table (section 7)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from loaders.domain import reference
from loaders.synthetic.dates import format_dates, years
from loaders.synthetic.geography import Geography, ucr_cities
from loaders.synthetic.world import World

FFL_COLUMNS = ("LIC_REGN", "LIC_DIST", "LIC_CNTY", "LIC_TYPE", "LIC_XPRDTE", "LIC_SEQN", "LICENSE_NAME",
               "BUSINESS_NAME", "PREMISE_STREET", "PREMISE_CITY", "PREMISE_STATE", "PREMISE_ZIP_CODE",
               "MAIL_STREET", "MAIL_CITY", "MAIL_STATE", "MAIL_ZIP_CODE", "VOICE_PHONE")
OUTCOMES = ("No Violations", "Report of Violations", "Warning Letter", "Warning Conference", "License Revoked",
            "License Surrendered")
_OUTCOME_P = np.array([0.46, 0.34, 0.12, 0.05, 0.02, 0.01])
# 27 CFR part 478 citations seen in ATF inspection reports; the first five are the zero-tolerance violations of
# the 2021 Enhanced Regulatory Enforcement Policy.
CFR = (
    ("478.99(c)", "Transfer of a firearm to a prohibited person"),
    ("478.102(a)", "Failure to run a NICS background check before transfer"),
    ("478.128(c)", "Falsification of required records"),
    ("478.25a", "Failure to respond to a trace request within 24 hours"),
    ("478.23", "Refusal to permit an ATF inspection"),
    ("478.21(a)", "Forms not completed as prescribed"),
    ("478.124(c)(1)", "Failure to obtain a completed Form 4473 from the transferee"),
    ("478.124(c)(3)(iv)", "Failure to record the transferee's identification document"),
    ("478.124(c)(5)", "Failure to sign and date Form 4473"),
    ("478.125(e)", "Failure to record acquisitions and dispositions in the bound book"),
    ("478.126a", "Failure to report multiple sales of handguns"),
    ("478.39a", "Failure to report firearm theft or loss"),
)
ZERO_TOLERANCE = 5


def ffl_rows(world: World, *, previous: bool) -> pd.DataFrame:
    d = world.dealers
    d = d[d["in_prev"]] if previous else d[d["in_current"]]
    d = d.sort_values(["regn", "dist", "seqn"], kind="stable")
    places = world.geo.places.iloc[d["place"].to_numpy()]
    city = places["city"].str.upper().to_numpy()
    out = pd.DataFrame({
        "LIC_REGN": d["regn"].to_numpy(), "LIC_DIST": d["dist"].to_numpy(), "LIC_CNTY": d["cnty"].to_numpy(),
        "LIC_TYPE": d["lic_type"].to_numpy(),
        "LIC_XPRDTE": (d["prev_xprdte"] if previous else d["xprdte"]).to_numpy(),
        "LIC_SEQN": d["seqn"].to_numpy(), "LICENSE_NAME": d["license_name"].to_numpy(),
        "BUSINESS_NAME": d["business_name"].to_numpy(), "PREMISE_STREET": d["premise_street"].to_numpy(),
        "PREMISE_CITY": city, "PREMISE_STATE": d["state"].to_numpy(), "PREMISE_ZIP_CODE": places["zip"].to_numpy(),
        "MAIL_STREET": d["mail_street"].to_numpy(), "MAIL_CITY": city, "MAIL_STATE": d["state"].to_numpy(),
        "MAIL_ZIP_CODE": places["zip"].to_numpy(),
        "VOICE_PHONE": d["phone"].to_numpy(), "_dealer": d.index.to_numpy()})
    return out


def inspections(world: World, license_numbers: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Inspections of about a fifth of current dealers in 2019–2023; corrupt dealers are always inspected and
    cited for zero-tolerance violations."""
    rng, p = world.rng, world.params
    d = world.dealers
    eligible = (d["selling"] & d["in_current"]).to_numpy()
    corrupt = d["corrupt"].to_numpy().astype(bool)
    chosen = np.flatnonzero(eligible & ((rng.random(len(d)) < 0.2) | corrupt))
    n = len(chosen)
    day_ = rng.integers(p.recovery_start, p.list_date - 10, n)
    is_corrupt = corrupt[chosen]
    outcome = np.array(OUTCOMES, dtype=object)[rng.choice(len(OUTCOMES), size=n, p=_OUTCOME_P)]
    bad = np.array(["Warning Conference", "License Revoked", "Warning Letter"], dtype=object)
    outcome = np.where(is_corrupt, bad[rng.integers(0, 3, n)], outcome)
    order = np.lexsort((chosen, day_))
    chosen, day_, outcome, is_corrupt = chosen[order], day_[order], outcome[order], is_corrupt[order]
    ids = [f"INS-{y}-{i + 1:06d}" for i, y in enumerate(years(day_))]
    us = rng.random(n) < p.us_date_share
    insp = pd.DataFrame({"inspection_id": ids, "license_number": license_numbers[chosen],
                         "inspection_date": format_dates(day_, us), "outcome": outcome,
                         "source_document_url": [f"https://reports.example.org/atf-inspections/{i}.pdf"
                                                 for i in ids]})
    rows = []
    for i in np.flatnonzero(outcome != "No Violations"):
        k = int(rng.integers(1, 6))
        if is_corrupt[i]:
            codes = list(rng.choice(ZERO_TOLERANCE, size=int(rng.integers(1, 3)), replace=False))
            codes += list(rng.choice(np.arange(ZERO_TOLERANCE, len(CFR)), size=k, replace=False))
        else:
            pool = np.arange(len(CFR)) if rng.random() < 0.1 else np.arange(ZERO_TOLERANCE, len(CFR))
            codes = list(rng.choice(pool, size=min(k, len(pool)), replace=False))
        for c in codes:
            rows.append((ids[i], CFR[int(c)][0], CFR[int(c)][1]))
    viol = pd.DataFrame(rows, columns=["inspection_id", "cfr_code", "description"])
    viol.insert(0, "violation_id", [f"VIO-{i + 1:07d}" for i in range(len(viol))])
    return insp, viol


def hotspots(geo: Geography) -> pd.DataFrame:
    """UCR violent and homicide rates per 100k for the latest year of each large jurisdiction, located at its
    Census place (or county) centroid."""
    ucr = ucr_cities()
    counties = reference.counties()
    rows = []
    places = geo.places
    upper = places["city"].str.upper()
    for rec in ucr.itertuples(index=False):
        match = places[(places["state"] == rec.state) & (upper == str(rec.city).upper())]
        if len(match):
            lat, lon = float(match["lat"].iloc[0]), float(match["lon"].iloc[0])
        else:
            cty = counties[(counties["state"] == rec.state) & (counties["name"].str.upper() == str(rec.city).upper())]
            if not len(cty):
                continue
            lat, lon = float(cty["lat"].iloc[0]), float(cty["lon"].iloc[0])
        rows.append({"city": rec.city, "state": rec.state, "lat": f"{lat:.5f}", "lon": f"{lon:.5f}",
                     "violent_crime_rate_per_100k": f"{rec.violent_per_100k:.1f}",
                     "homicide_rate_per_100k": f"{rec.homs_per_100k:.1f}", "data_year": str(rec.year)})
    return pd.DataFrame(rows).sort_values(["state", "city"], kind="stable").reset_index(drop=True)

