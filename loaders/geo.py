"""Places: the one set of Location keys every loader uses, offline geocoding, and Location/IN rows.

Keys: ``country:US``, ``state:US-VA``, ``city:US-VA:RICHMOND``, ``zip:23220``; abroad ``state:MX-BC``,
``city:MX-BC:TIJUANA`` or, without a state, ``city:MX:TIJUANA``. City names are normalised for keys and matching
(upper case, dots dropped, spaces collapsed, ``SAINT``/``ST`` -> ``ST``, ``FT`` -> ``FORT``, ``MT`` -> ``MOUNT``);
the node's ``name`` keeps the first spelling seen.

Geocoding is offline, from the Census gazetteers shipped in ``loaders/refdata`` (see
:mod:`loaders.reference`): ZIP centroid (ZCTA), else the Census place of that name in the state (the largest by
land area when several share a name; consolidated governments also under their short
name), else the county centroid (from the FFL county FIPS), else the state
centroid. ``geocode_precision`` says which: ``zip | city | county | state | none``.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd

from graph.store import GraphStore
from loaders import reference
from loaders.parsing import map_distinct

US = "US"


@functools.lru_cache(maxsize=1 << 17)
def normalize_city(value: str | None) -> str | None:
    if value is None:
        return None
    text = re.sub(r"[.,]", " ", str(value).upper())
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"^(SAINT|ST) ", "ST ", text)
    text = re.sub(r"^FT ", "FORT ", text)
    text = re.sub(r"^MT ", "MOUNT ", text)
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
def _zip_table() -> pd.DataFrame:
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
def _state_table() -> pd.DataFrame:
    states = reference.states()
    return states.set_index("state")[["lat", "lon", "name"]]


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

    zips = _zip_table()
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
    states = _state_table()
    state_values = frame[state_col].astype(object)
    fill(state_values.map(states["lat"]), state_values.map(states["lon"]), "state")
    return pd.DataFrame({"lat": lat, "lon": lon, "geocode_precision": precision}, index=frame.index)


# --- Location nodes and IN relationships -----------------------------------------------------------------------

def location_frames(places: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Location nodes and ``IN`` rows for every place named by ``places`` (columns ``country``, ``state``,
    ``city_norm``, ``city`` (display name), ``zip``; any may be None). Returns (nodes, in_rels)."""
    places = places.drop_duplicates()
    country = places["country"].fillna(US).astype(object)
    state, city_norm, city_name, zips = (places[c].astype(object) for c in ("state", "city_norm", "city", "zip"))
    nodes: list[pd.DataFrame] = []
    rels: list[pd.DataFrame] = []
    countries = pd.unique(country)
    from loaders.countries import COUNTRY_POINTS  # cross-border corridors need a point per country

    nodes.append(pd.DataFrame({"location_key": [country_key(c) for c in countries], "kind": "country",
                               "name": list(countries), "country": list(countries),
                               "lat": [COUNTRY_POINTS.get(c, (None, None))[0] for c in countries],
                               "lon": [COUNTRY_POINTS.get(c, (None, None))[1] for c in countries]}))
    has_state = state.notna()
    st = pd.DataFrame({"country": country[has_state], "state": state[has_state]}).drop_duplicates()
    if len(st):
        st_keys = state_keys(st["state"], st["country"])
        names = st["state"].map(_state_table()["name"]).where(st["country"] == US)
        nodes.append(pd.DataFrame({"location_key": st_keys, "kind": "state",
                                   "name": names.fillna(st["state"]).astype(object), "state": st["state"],
                                   "country": st["country"],
                                   "lat": st["state"].map(_state_table()["lat"]).where(st["country"] == US),
                                   "lon": st["state"].map(_state_table()["lon"]).where(st["country"] == US)}))
        rels.append(pd.DataFrame({"from_key": st_keys, "to_key": st["country"].map(country_key)}))
    has_city = city_norm.notna()
    ct = pd.DataFrame({"country": country[has_city], "state": state[has_city], "city_norm": city_norm[has_city],
                       "city": city_name[has_city].fillna(city_norm[has_city])})
    ct = ct.drop_duplicates(["country", "state", "city_norm"])
    if len(ct):
        ct_keys = city_keys(ct["city_norm"], ct["state"], ct["country"])
        coords = geocode(pd.DataFrame({"zip": None, "city_norm": ct["city_norm"],
                                       "state": ct["state"].where(ct["country"] == US)}, index=ct.index))
        coords = coords.where(coords["geocode_precision"] == "city")
        nodes.append(pd.DataFrame({"location_key": ct_keys, "kind": "city", "name": ct["city"],
                                   "state": ct["state"], "country": ct["country"], "lat": coords["lat"],
                                   "lon": coords["lon"]}))
        parent = state_keys(ct["state"], ct["country"]).fillna(ct["country"].map(country_key))
        rels.append(pd.DataFrame({"from_key": ct_keys, "to_key": parent}))
    has_zip = zips.notna() & (country == US)
    zp = pd.DataFrame({"zip": zips[has_zip], "state": state[has_zip]}).drop_duplicates("zip")
    if len(zp):
        z_keys = zip_keys(zp["zip"])
        ztab = _zip_table()
        nodes.append(pd.DataFrame({"location_key": z_keys, "kind": "zip", "name": zp["zip"], "state": zp["state"],
                                   "country": US, "lat": zp["zip"].map(ztab["lat"]),
                                   "lon": zp["zip"].map(ztab["lon"])}))
        zs = zp[zp["state"].notna()]
        rels.append(pd.DataFrame({"from_key": z_keys[zs.index], "to_key": state_keys(zs["state"])}))
    node_frame = pd.concat(nodes, ignore_index=True).drop_duplicates("location_key")
    rel_frame = (pd.concat(rels, ignore_index=True).drop_duplicates() if rels
                 else pd.DataFrame({"from_key": [], "to_key": []}))
    return node_frame, rel_frame


def upsert_places(store: GraphStore, places: pd.DataFrame, written: set[str] | None = None) -> int:
    """Create/refresh the Location nodes and IN relationships for ``places``; returns nodes written.

    ``written``: the Location keys a loader has already written in this run (updated here). A place's node is
    derived from its key, so a batch skips the places an earlier batch of the run wrote (the first spelling of a
    city's display name in a run is the one kept, the same on every re-run)."""
    from loaders.frames import arrow

    nodes, rels = location_frames(places)
    if written is not None:
        nodes = nodes[~nodes["location_key"].isin(written)]
        rels = rels[rels["from_key"].isin(nodes["location_key"])]
        written.update(nodes["location_key"].tolist())
        if nodes.empty:
            return 0
    store.upsert_nodes("Location", arrow(nodes, "Location"))
    if len(rels):
        store.upsert_relationships("IN", "Location", "Location", arrow(rels))
    return len(nodes)
