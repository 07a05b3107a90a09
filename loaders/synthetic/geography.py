"""Real geography for the synthetic world: Census places with their county and ZIP, ATF license regions,
ATF source-state x recovery-state flows, and UCR city crime weights.

Everything here comes from the reference tables in ``loaders/refdata`` (see ``loaders.domain.reference``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from loaders.domain import reference

# ATF region and IRS district ("R-DD") of FFL numbers per premises state, counted from the 1,924 real license
# numbers in The Trace / USA Today inspection reports 2015-2017 (shared/data/ffl). ND and DC have no licence in
# that file: ND uses district 45 (Midwest region 3) and DC district 52 with Maryland (region 8).
STATE_REGION_DISTRICTS: dict[str, tuple[tuple[str, int], ...]] = {
    "AK": (("9-92", 1),), "AL": (("1-63", 26),), "AR": (("5-71", 1),), "AZ": (("9-86", 1),),
    "CA": (("9-33", 28), ("9-68", 20), ("9-77", 21), ("9-94", 4), ("9-95", 2)), "CO": (("5-84", 1),),
    "CT": (("6-06", 1),), "DC": (("8-52", 1),), "DE": (("8-51", 1),), "FL": (("1-59", 1),), "GA": (("1-58", 1),),
    "HI": (("9-99", 1),), "IA": (("5-42", 1),), "ID": (("9-82", 1),), "IL": (("3-36", 30), ("3-37", 24)),
    "IN": (("4-35", 1),), "KS": (("5-48", 1),), "KY": (("4-61", 1),), "LA": (("5-72", 1),), "MA": (("6-04", 1),),
    "MD": (("8-52", 1),), "ME": (("6-01", 1),), "MI": (("4-38", 1),), "MN": (("3-41", 1),), "MO": (("5-43", 1),),
    "MS": (("1-64", 1),), "MT": (("9-81", 1),), "NC": (("1-56", 1),), "ND": (("3-45", 1),), "NE": (("5-47", 1),),
    "NH": (("6-02", 1),), "NJ": (("8-22", 1),), "NM": (("5-85", 1),), "NV": (("9-88", 1),),
    "NY": (("6-16", 11), ("6-13", 4), ("6-14", 4), ("6-11", 1)), "OH": (("4-31", 96), ("4-34", 48)),
    "OK": (("5-73", 1),), "OR": (("9-93", 1),), "PA": (("8-23", 30), ("8-25", 15)), "RI": (("6-05", 1),),
    "SC": (("1-57", 1),), "SD": (("3-46", 1),), "TN": (("1-62", 1),),
    "TX": (("5-74", 121), ("5-76", 69), ("5-75", 128)), "UT": (("9-87", 1),), "VA": (("1-54", 1),),
    "VT": (("6-03", 1),), "WA": (("9-91", 1),), "WI": (("3-39", 1),), "WV": (("4-55", 1),), "WY": (("5-83", 1),),
}
# Census names of consolidated city-counties -> the name people (and police reports) use.
_PLACE_ALIASES = {"Louisville/Jefferson County": "Louisville", "Nashville-Davidson": "Nashville",
                  "Urban Honolulu": "Honolulu", "Lexington-Fayette": "Lexington",
                  "Augusta-Richmond County": "Augusta", "Athens-Clarke County": "Athens"}
STATES: tuple[str, ...] = tuple(sorted(STATE_REGION_DISTRICTS))

# UCR department names (Marshall Project compilation) without a state, and AP-style state abbreviations.
_UCR_NO_STATE = {
    "Atlanta": "GA", "Baltimore": "MD", "Boston": "MA", "Chicago": "IL", "Cincinnati": "OH", "Cleveland": "OH",
    "Dallas": "TX", "Denver": "CO",
    "Detroit": "MI", "Honolulu": "HI", "Houston": "TX", "Indianapolis": "IN", "Las Vegas": "NV",
    "Los Angeles": "CA", "Miami": "FL", "Milwaukee": "WI", "Minneapolis": "MN", "New Orleans": "LA",
    "New York City": "NY", "Oklahoma City": "OK", "Philadelphia": "PA", "Phoenix": "AZ", "Pittsburgh": "PA",
    "Salt Lake City": "UT", "San Antonio": "TX", "San Diego": "CA", "San Francisco": "CA", "San Jose": "CA",
    "Seattle": "WA",
}
_AP_STATES = {
    "Ariz.": "AZ", "Calif.": "CA", "Colo.": "CO", "D.C.": "DC", "Fla.": "FL", "Kan.": "KS", "Ky.": "KY",
    "Md.": "MD", "Mo.": "MO", "N.C.": "NC", "N.J.": "NJ", "N.M.": "NM", "N.Y.": "NY", "Neb.": "NE", "Ohio": "OH",
    "Okla.": "OK", "Ore.": "OR", "Tenn.": "TN", "Texas": "TX", "Va.": "VA",
}


def parse_department(name: str) -> tuple[str, str] | None:
    """'Albuquerque, N.M.' -> ('Albuquerque', 'NM'); 'New York City' -> ('New York', 'NY'); 'National' -> None."""
    name = name.strip()
    if name in _UCR_NO_STATE:
        return (name.removesuffix(" City") if name == "New York City" else name), _UCR_NO_STATE[name]
    if "," not in name:
        return None
    city, abbrev = (part.strip() for part in name.rsplit(",", 1))
    state = _AP_STATES.get(abbrev)
    if state is None:
        return None
    if city == "Washington":
        return "Washington", "DC"
    return re.sub(r"-Mecklenburg$", "", city), state


@functools.cache
def ucr_cities() -> pd.DataFrame:
    """Latest year per UCR jurisdiction: ``department``, ``city``, ``state``, ``ori``, rates and counts."""
    raw = reference.ucr_city_crime()
    raw = raw[raw["violent_per_100k"].notna()]
    latest = raw.loc[raw.groupby("department_name")["year"].idxmax()].sort_values("department_name")
    rows = []
    for rec in latest.itertuples(index=False):
        parsed = parse_department(str(rec.department_name))
        if parsed is None:
            continue
        rows.append({"department": rec.department_name, "city": parsed[0], "state": parsed[1], "ori": rec.ORI,
                     "year": int(rec.year), "violent_crime": float(rec.violent_crime),
                     "violent_per_100k": float(rec.violent_per_100k),
                     "homs_per_100k": float(rec.homs_per_100k)})
    return pd.DataFrame(rows)


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


@dataclass(frozen=True)
class Geography:
    """Census places of the 50 states and DC, with derived county FIPS, ZIP and sampling weights."""

    places: pd.DataFrame  # state, city (title case), county_fips (5), zip, lat, lon, home_weight, crime_weight, ori
    state_places: dict[str, np.ndarray]  # state -> row indices into places
    flows: pd.DataFrame  # index recovery state, columns source state: P(source | recovery)
    recovery_weight: pd.Series  # state -> share of US traces recovered there


@functools.cache
def geography() -> Geography:
    raw = reference.places()
    raw = raw[raw["state"].isin(STATES)].reset_index(drop=True)
    name = raw["name"].astype(str)
    city = name.str.replace(r"\s+(city and borough|city|town|village|borough|CDP|municipality|"
                            r"consolidated government|metropolitan government|unified government|urban county|"
                            r"metro government)(\s.*)?$", "", regex=True).str.replace(r"\s*\(balance\)", "",
                                                                                        regex=True).str.strip()
    city = city.replace(_PLACE_ALIASES)
    places = pd.DataFrame({"state": raw["state"].astype(object), "city": city.astype(object),
                           "lat": raw["lat"].astype(float), "lon": raw["lon"].astype(float),
                           "land_sqmi": raw["land_sqmi"].astype(float).clip(lower=0.05)})
    places = places.drop_duplicates(["state", "city"]).sort_values(["state", "city"]).reset_index(drop=True)

    counties = reference.counties()
    places["county_fips"] = ""
    for state, idx in places.groupby("state").indices.items():
        cty = counties[counties["state"] == state]
        tree = cKDTree(_unit_vectors(cty["lat"].to_numpy(), cty["lon"].to_numpy()))
        _, nearest = tree.query(_unit_vectors(places["lat"].to_numpy()[idx], places["lon"].to_numpy()[idx]))
        places.loc[idx, "county_fips"] = cty["county_fips"].to_numpy()[nearest]
    zips = reference.zip_centroids().dropna().reset_index(drop=True)
    ztree = cKDTree(_unit_vectors(zips["lat"].to_numpy(), zips["lon"].to_numpy()))
    _, zi = ztree.query(_unit_vectors(places["lat"].to_numpy(), places["lon"].to_numpy()))
    places["zip"] = zips["zip"].to_numpy()[zi]

    # Residence weight: land area is the only size in the gazetteer; its 0.8 power damps sprawling rural CDPs.
    places["home_weight"] = places["land_sqmi"] ** 0.8
    ucr = ucr_cities()
    key = places["state"] + "|" + places["city"].str.upper()
    ucr_key = ucr["state"] + "|" + ucr["city"].str.upper()
    violent = dict(zip(ucr_key, ucr["violent_crime"], strict=True))
    oris = dict(zip(ucr_key, ucr["ori"], strict=True))
    places["ori"] = key.map(oris).astype(object)
    places["ucr_violent"] = key.map(violent).fillna(0.0)
    # Crime-gun recoveries concentrate in the big UCR cities: they take 55% of their state's recoveries, split by
    # violent-crime counts; the rest follows place size.
    crime = places["land_sqmi"].to_numpy() ** 1.0
    for _state, idx in places.groupby("state").indices.items():
        uv = places["ucr_violent"].to_numpy()[idx]
        if uv.sum() > 0:
            rest = crime[idx] * (uv == 0)
            crime[idx] = np.where(uv > 0, 0.55 * uv / uv.sum(), 0.45 * rest / max(rest.sum(), 1e-9))
        else:
            crime[idx] = crime[idx] / crime[idx].sum()
    places["crime_weight"] = crime
    state_places = {s: np.asarray(i, dtype=np.int64) for s, i in sorted(places.groupby("state").indices.items())}
    flows, recovery_weight = state_flows()
    return Geography(places=places, state_places=state_places, flows=flows, recovery_weight=recovery_weight)


@functools.cache
def state_flows() -> tuple[pd.DataFrame, pd.Series]:
    """P(source state | recovery state) and each state's share of recoveries, pooled over ATF's 2010–2017 tables.

    Only US source states (50 + DC) are kept, so shares are of traces that reached a US dealer.
    """
    flows = reference.atf_state_flows().copy()
    names = reference.states()
    to_usps = dict(zip(names["name_upper"], names["state"], strict=True))
    to_usps.update({"DST OF COLUMBIA": "DC"})
    flows["src"] = flows["source_state"].str.strip().map(to_usps)
    flows["rec"] = flows["recovery_state"].str.strip().map(to_usps)
    flows = flows[flows["src"].isin(STATES) & flows["rec"].isin(STATES)]
    grid = flows.pivot_table(index="rec", columns="src", values="firearms", aggfunc="sum", fill_value=0)
    grid = grid.reindex(index=list(STATES), columns=list(STATES), fill_value=0).astype(float)
    recovery_weight = grid.sum(axis=1) / grid.to_numpy().sum()
    conditional = grid.div(grid.sum(axis=1), axis=0)
    return conditional, recovery_weight


def in_state_share() -> pd.Series:
    """ATF's pooled share of each recovery state's traced guns that were first sold in the same state."""
    flows, _ = state_flows()
    return pd.Series(np.diag(flows.to_numpy()), index=flows.index)
