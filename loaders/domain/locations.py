"""Places: the one set of Location keys every loader and analysis uses, and offline geocoding.

Keys: ``country:US``, ``state:US-VA``, ``city:US-VA:RICHMOND``, ``zip:23220``; abroad ``state:MX-BC``,
``city:MX-BC:TIJUANA`` or, without a state, ``city:MX:TIJUANA``. City names are normalised for keys and matching
(upper case, dots dropped, spaces collapsed, ``SAINT``/``ST`` -> ``ST``, ``FT`` -> ``FORT``, ``MT`` -> ``MOUNT``);
the node's ``name`` keeps the first spelling seen.

Geocoding is offline, from the Census gazetteers shipped in ``loaders/refdata`` (see
:mod:`loaders.domain.reference`): ZIP centroid (ZCTA), else the Census place of that name in the state (the largest by
land area when several share a name; consolidated governments also under their short
name), else the county centroid (from the FFL county FIPS), else the state
centroid. ``geocode_precision`` says which: ``zip | city | county | state | none``.
"""

from __future__ import annotations

import functools
import re
import threading

import numpy as np
import pandas as pd

from loaders.domain import reference
from loaders.domain.parsing import map_distinct

US = "US"


_PUNCTUATION, _SPACES = re.compile(r"[.,]"), re.compile(r"\s+")
_SAINT, _FORT, _MOUNT = re.compile(r"^(SAINT|ST) "), re.compile(r"^FT "), re.compile(r"^MT ")


@functools.lru_cache(maxsize=1 << 17)
def normalize_city(value: str | None) -> str | None:
    """(The patterns compiled once: ``re.sub`` looks its pattern up in a cache at every call, ~a third of the
    time of the gazetteer's 20k place names, once per process.)"""
    if value is None:
        return None
    text = _PUNCTUATION.sub(" ", str(value).upper())
    text = _SPACES.sub(" ", text).strip()
    text = _SAINT.sub("ST ", text)
    text = _FORT.sub("FORT ", text)
    text = _MOUNT.sub("MOUNT ", text)
    return text or None


def normalize_cities(column: pd.Series) -> pd.Series:
    return map_distinct(column, normalize_city)


def country_key(country: str) -> str:
    return f"country:{country}"


def state_key(state: str, country: str = US) -> str:
    return f"state:{country}-{state}"


def city_key(city: str, state: str | None, country: str = US) -> str:
    norm = normalize_city(city)
    return f"city:{country}-{state}:{norm}" if state else f"city:{country}:{norm}"


def zip_key(zip_code: str) -> str:
    return f"zip:{zip_code}"


def _series(value: pd.Series | str, index: pd.Index) -> pd.Series:
    return value if isinstance(value, pd.Series) else pd.Series(value, index=index, dtype=object)


def state_keys(state: pd.Series, country: pd.Series | str = US) -> pd.Series:
    country = _series(country, state.index)
    keys = "state:" + country.astype(str) + "-" + state.astype(str)
    return keys.astype(object).where(state.notna(), None)


def city_keys(city_norm: pd.Series, state: pd.Series, country: pd.Series | str = US) -> pd.Series:
    """Keys from *normalised* city names (see :func:`normalize_cities`)."""
    country = _series(country, city_norm.index)
    with_state = "city:" + country.astype(str) + "-" + state.astype(str) + ":" + city_norm.astype(str)
    without = "city:" + country.astype(str) + ":" + city_norm.astype(str)
    keys = with_state.where(state.notna(), without)
    return keys.astype(object).where(city_norm.notna(), None)


def zip_keys(zips: pd.Series) -> pd.Series:
    return ("zip:" + zips.astype(str)).astype(object).where(zips.notna(), None)


# --- gazetteer lookups -----------------------------------------------------------------------------------------

@functools.cache
def zip_table() -> pd.DataFrame:
    """ZCTA centroids by five-digit ZIP: ``lat``, ``lon``, ``state``."""
    return reference.zip_centroids().drop_duplicates("zip").set_index("zip")


@functools.cache
def _city_table() -> pd.DataFrame:
    places = reference.places().copy()
    places["city_norm"] = normalize_cities(places["city"].astype(object))
    # consolidated governments and CDPs go by their short name too: "URBAN HONOLULU" -> HONOLULU,
    # "LOUISVILLE/JEFFERSON COUNTY" -> LOUISVILLE, "NASHVILLE-DAVIDSON" -> NASHVILLE (never over a real place)
    short = places["city_norm"].str.replace(r"^URBAN ", "", regex=True).str.split(r"[/-]", regex=True).str[0]
    aliases = places.assign(city_norm=short.str.strip(), land_sqmi=-1.0)
    aliases = aliases[aliases["city_norm"] != places["city_norm"]]
    places = pd.concat([places, aliases], ignore_index=True)
    places = places.sort_values("land_sqmi", ascending=False).drop_duplicates(["state", "city_norm"])
    return places.set_index(["state", "city_norm"])[["lat", "lon"]]


@functools.cache
def _county_table() -> pd.DataFrame:
    return reference.counties().drop_duplicates("county_fips").set_index("county_fips")[["lat", "lon"]]


@functools.cache
def state_table() -> pd.DataFrame:
    """State centroids and names by USPS code: ``lat``, ``lon``, ``name``."""
    states = reference.states()
    return states.set_index("state")[["lat", "lon", "name"]]


def build_tables() -> None:
    """Build the tables :func:`geocode` looks up (once per process: ~0.25 CPU s of reference files read and place
    names normalised), e.g. in another thread ahead of the first geocode (:func:`tables_ahead`)."""
    zip_table()
    _city_table()
    state_table()


_AHEAD: list[threading.Thread] = []
_AHEAD_LOCK = threading.Lock()


def tables_ahead() -> threading.Thread:
    """The thread building the tables :func:`geocode` looks up, started by the first call in the process (a day's
    load starts it first thing, while its engine statements begin; the traces loader asks again and joins it
    before its first geocode): the one thread, so the tables are built once."""
    with _AHEAD_LOCK:
        if not _AHEAD:
            _AHEAD.append(threading.Thread(target=build_tables, name="gazetteer", daemon=True))
            _AHEAD[0].start()
        return _AHEAD[0]


def geocode(frame: pd.DataFrame, *, zip_col: str = "zip", city_col: str = "city_norm", state_col: str = "state",
            county_col: str | None = None) -> pd.DataFrame:
    """``lat``, ``lon``, ``geocode_precision`` for each row (US places; other rows get ``none``)."""
    n = len(frame)
    lat = np.full(n, np.nan)
    lon = np.full(n, np.nan)
    precision = np.full(n, "none", dtype=object)

    def fill(found_lat: pd.Series, found_lon: pd.Series, level: str) -> None:
        take = np.isnan(lat) & found_lat.notna().to_numpy()
        lat[take] = found_lat.to_numpy(dtype=float, na_value=np.nan)[take]
        lon[take] = found_lon.to_numpy(dtype=float, na_value=np.nan)[take]
        precision[take] = level

    zips = zip_table()
    zip_values = frame[zip_col].astype(object)
    fill(zip_values.map(zips["lat"]), zip_values.map(zips["lon"]), "zip")
    cities = _city_table()
    pairs = pd.MultiIndex.from_arrays([frame[state_col].astype(object), frame[city_col].astype(object)])
    found = cities.reindex(pairs)
    fill(pd.Series(found["lat"].to_numpy()), pd.Series(found["lon"].to_numpy()), "city")
    if county_col is not None:
        counties = _county_table()
        county_values = frame[county_col].astype(object)
        fill(county_values.map(counties["lat"]), county_values.map(counties["lon"]), "county")
    states = state_table()
    state_values = frame[state_col].astype(object)
    fill(state_values.map(states["lat"]), state_values.map(states["lon"]), "state")
    return pd.DataFrame({"lat": lat, "lon": lon, "geocode_precision": precision}, index=frame.index)
