"""Reference tables shipped in ``loaders/refdata`` (see its PROVENANCE.md), read lazily and cached.

Every function returns a fresh copy-safe pandas DataFrame with string columns as Python ``str``/``None``
(object dtype), so callers can hand slices to Arrow without pandas-3 string-dtype surprises.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

_DIR = Path(str(resources.files("loaders") / "refdata"))


def path(name: str) -> Path:
    return _DIR / name


def _internal_point_near_centre(counties: pd.DataFrame) -> pd.Series:
    lat = (counties["INTPTLAT"] * counties["w"]).sum() / counties["w"].sum()
    lon = (counties["INTPTLONG"] * counties["w"]).sum() / counties["w"].sum()
    squeeze = np.cos(np.radians(lat))  # a degree of longitude is shorter away from the equator
    distance = (counties["INTPTLAT"] - lat) ** 2 + ((counties["INTPTLONG"] - lon) * squeeze) ** 2
    nearest = counties.loc[distance.idxmin()]
    return pd.Series({"lat": float(nearest["INTPTLAT"]), "lon": float(nearest["INTPTLONG"])})


@functools.cache
def states() -> pd.DataFrame:
    """``state`` (USPS), ``state_fips``, ``name`` (title case), ``name_upper``, ``lat``, ``lon`` for the 50 states,
    DC and territories. The point is the Census internal point of the state's county nearest the land-area
    weighted mean of its counties' internal points: central, and inside the state by construction (the mean
    itself fell at sea for Hawaii, between the islands)."""
    fips = pd.read_csv(path("census_state_fips.txt"), sep="|", dtype=str)
    counties = pd.read_csv(path("gaz_counties_2011.tsv.gz"), sep="\t", dtype={"GEOID": str}, encoding="latin-1")
    counties.columns = [c.strip() for c in counties.columns]
    weighted = counties.assign(w=counties["ALAND"].clip(lower=1))
    centroid = weighted.groupby("USPS" if "USPS" in weighted else "STUSPS").apply(_internal_point_near_centre,
                                                                                  include_groups=False)
    out = pd.DataFrame({
        "state": fips["STATE"].astype(object),
        "state_fips": fips["STATEFP"].astype(object),
        "name": fips["STATE_NAME"].astype(object),
    })
    out["name_upper"] = out["name"].str.upper().astype(object)
    out = out.merge(centroid, left_on="state", right_index=True, how="left")
    return out.reset_index(drop=True)


@functools.cache
def zip_centroids() -> pd.DataFrame:
    """``zip`` (5 digits), ``lat``, ``lon`` from the 2010 ZCTA gazetteer."""
    raw = pd.read_csv(path("gaz_zcta_2010.tsv.gz"), sep="\t", dtype={"GEOID": str})
    raw.columns = [c.strip() for c in raw.columns]
    return pd.DataFrame({"zip": raw["GEOID"].astype(object), "lat": raw["INTPTLAT"], "lon": raw["INTPTLONG"]})


@functools.cache
def places() -> pd.DataFrame:
    """``state``, ``name`` (e.g. 'Richmond city'), ``city`` (name without the Census suffix, upper case),
    ``land_sqmi``, ``lat``, ``lon`` for Census places."""
    raw = pd.read_csv(path("gaz_places_2011.tsv.gz"), sep="\t", dtype={"GEOID": str}, encoding="latin-1")
    raw.columns = [c.strip() for c in raw.columns]
    suffix = (r"\s+(city and borough|city|town|village|borough|CDP|municipality|comunidad|zona urbana|"
              r"consolidated government|metropolitan government|unified government|urban county|"
              r"\(balance\)|city \(balance\)|metro government)(\s.*)?$")
    city = raw["NAME"].str.replace(suffix, "", regex=True).str.upper().str.strip()
    return pd.DataFrame({
        "state": raw["STUSPS"].astype(object), "name": raw["NAME"].astype(object), "city": city.astype(object),
        "land_sqmi": raw["ALAND_SQMI"], "lat": raw["INTPTLAT"], "lon": raw["INTPTLONG"],
    })


@functools.cache
def counties() -> pd.DataFrame:
    """``state``, ``county_fips`` (5 digits), ``name``, ``lat``, ``lon``."""
    raw = pd.read_csv(path("gaz_counties_2011.tsv.gz"), sep="\t", dtype={"GEOID": str}, encoding="latin-1")
    raw.columns = [c.strip() for c in raw.columns]
    return pd.DataFrame({"state": raw["USPS" if "USPS" in raw else "STUSPS"].astype(object),
                         "county_fips": raw["GEOID"].astype(object), "name": raw["NAME"].astype(object),
                         "lat": raw["INTPTLAT"], "lon": raw["INTPTLONG"]})


@functools.cache
def atf_state_flows() -> pd.DataFrame:
    """ATF source-state x recovery-state firearms 2010–2017 (long form, TOTAL rows kept as published)."""
    return pd.read_csv(path("atf_source_recovery_long_2010_2017.csv.gz"),
                       dtype={"source_state": object, "recovery_state": object})


@functools.cache
def ucr_city_crime() -> pd.DataFrame:
    """FBI UCR figures for 68 large jurisdictions, 1975–2015 (The Marshall Project's compilation)."""
    return pd.read_csv(path("marshallproject_ucr_crime_1975_2015.csv.gz"), dtype={"ORI": object,
                                                                                  "department_name": object})


@functools.cache
def dealer_counts_by_state(year: int = 2023) -> pd.DataFrame:
    """``state``, ``count`` of dealing FFLs (types 01, 02, 07, 08) per state, LA Times from ATF lists."""
    frame = pd.read_csv(path(f"latimes_ffl_counts/{year}-ffl-list-states.csv"), dtype={"state": object,
                                                                                       "statefp": object})
    return frame[["state", "count"]].copy()


@functools.cache
def license_types() -> dict[str, str]:
    """ATF license type code ('01') -> description."""
    frame = pd.read_csv(path("atf_ffl_types.csv"), dtype=str, skipinitialspace=True)
    return {row.iloc[0].strip().zfill(2): " ".join(row.iloc[1].split()) for _, row in frame.iterrows()}
