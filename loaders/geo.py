"""Location nodes and ``IN`` relationships for the places a loader meets (keys and geocoding:
:mod:`loaders.domain.locations`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from graph.store import GraphStore
from loaders.domain.countries import COUNTRY_POINTS
from loaders.domain.locations import US, city_keys, country_key, geocode, state_keys, state_table, zip_keys, zip_table
from loaders.frames import arrow


def location_frames(places: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Location nodes and ``IN`` rows for every place named by ``places`` (columns ``country``, ``state``,
    ``city_norm``, ``city`` (display name), ``zip``; any may be None). Returns (nodes, in_rels)."""
    places = places.drop_duplicates()
    country = places["country"].fillna(US).astype(object)
    state, city_norm, city_name, zips = (places[c].astype(object) for c in ("state", "city_norm", "city", "zip"))
    nodes: list[pd.DataFrame] = []
    rels: list[pd.DataFrame] = []
    countries = pd.unique(country)

    nodes.append(pd.DataFrame({"location_key": [country_key(c) for c in countries], "kind": "country",
                               "name": list(countries), "country": list(countries),
                               "lat": [COUNTRY_POINTS.get(c, (None, None))[0] for c in countries],
                               "lon": [COUNTRY_POINTS.get(c, (None, None))[1] for c in countries]}))
    has_state = state.notna()
    st = pd.DataFrame({"country": country[has_state], "state": state[has_state]}).drop_duplicates()
    if len(st):
        st_keys = state_keys(st["state"], st["country"])
        names = st["state"].map(state_table()["name"]).where(st["country"] == US)
        nodes.append(pd.DataFrame({"location_key": st_keys, "kind": "state",
                                   "name": names.fillna(st["state"]).astype(object), "state": st["state"],
                                   "country": st["country"],
                                   "lat": st["state"].map(state_table()["lat"]).where(st["country"] == US),
                                   "lon": st["state"].map(state_table()["lon"]).where(st["country"] == US)}))
        rels.append(pd.DataFrame({"from_key": st_keys, "to_key": st["country"].map(country_key)}))
    has_city = city_norm.notna()
    ct = pd.DataFrame({"country": country[has_city], "state": state[has_city], "city_norm": city_norm[has_city],
                       "city": city_name[has_city].fillna(city_norm[has_city])})
    ct = ct.iloc[display_order(ct["city"])].drop_duplicates(["country", "state", "city_norm"])
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
        ztab = zip_table()
        nodes.append(pd.DataFrame({"location_key": z_keys, "kind": "zip", "name": zp["zip"], "state": zp["state"],
                                   "country": US, "lat": zp["zip"].map(ztab["lat"]),
                                   "lon": zp["zip"].map(ztab["lon"])}))
        zs = zp[zp["state"].notna()]
        rels.append(pd.DataFrame({"from_key": z_keys[zs.index], "to_key": state_keys(zs["state"])}))
    node_frame = pd.concat(nodes, ignore_index=True).drop_duplicates("location_key")
    rel_frame = (pd.concat(rels, ignore_index=True).drop_duplicates() if rels
                 else pd.DataFrame({"from_key": [], "to_key": []}))
    return node_frame, rel_frame


def display_order(names: pd.Series) -> np.ndarray:
    """Positions of ``names`` best display spelling first: a spelling with lower-case letters before one in
    capitals only ("Baltimore" before the FFL list's "BALTIMORE"), then in code-point order. The best of several
    spellings is the same whatever order the files and rows came in."""
    text = names.astype(str)
    capitals = (text == text.str.upper()).to_numpy()
    return np.lexsort((text.to_numpy(dtype=object).astype(str), capitals))


def _best_names(store: GraphStore, nodes: pd.DataFrame, read: np.ndarray | None = None) -> pd.DataFrame:
    """``nodes`` with each city's name the best spelling of the stored one and this load's
    (:func:`display_order`): a day that spells a city worse changes neither its name nor its version stamp.
    ``read``: which rows' stored names to read (default every city's); the others keep their name."""
    cities = (nodes["kind"] == "city").to_numpy()
    if read is not None:
        cities = cities & read
    if not cities.any():
        return nodes
    stored = store.query("trace_rows_locations", {"keys": nodes.loc[cities, "location_key"].tolist()}).df()
    if stored.empty:
        return nodes
    both = pd.concat([nodes.loc[cities, ["location_key", "name"]],
                      stored.rename(columns={"key": "location_key"})[["location_key", "name"]].dropna()],
                     ignore_index=True)
    best = _best_of(both)
    return nodes.assign(name=nodes["name"].where(~cities, nodes["location_key"].map(best)))


def _best_of(names: pd.DataFrame) -> pd.Series:
    """location_key -> the best of its spellings in ``names`` (location_key, name)."""
    return names.iloc[display_order(names["name"])].drop_duplicates("location_key").set_index("location_key")["name"]


def upsert_places(store: GraphStore, places: pd.DataFrame, written: dict[str, str | None] | None = None) -> int:
    """Create/refresh the Location nodes and IN relationships for ``places``; returns nodes written.

    ``written``: the Location keys a loader has already written in this run, each with its name as written for a
    city (None for other places); updated here. A place's node is derived from its key, so a batch skips the
    places an earlier batch of the run wrote, except a city this batch spells better than the run wrote it. A
    city's display name is the best spelling met (:func:`display_order`), the same whatever order the loads,
    files and rows came in. The store holds a city the run wrote as the run wrote it, so only the cities new to
    the run have their stored names read."""
    nodes, rels = location_frames(places)
    read = None
    if written is not None:
        keys = nodes["location_key"]
        seen = keys.isin(written.keys()).to_numpy()
        rels = rels[rels["from_key"].isin(keys[~seen])]
        better = seen & (nodes["kind"] == "city").to_numpy()  # a city of an earlier batch: spelled better?
        if better.any():
            ours = nodes.loc[better, ["location_key", "name"]]
            before = ours.assign(name=ours["location_key"].map(written))
            best = ours["location_key"].map(_best_of(pd.concat([ours, before], ignore_index=True)))
            better[better] = ((best == ours["name"]) & (ours["name"] != before["name"])).to_numpy()
        keep = ~seen | better
        nodes, read = nodes[keep], ~better[keep]
        if nodes.empty:
            return 0
    nodes = _best_names(store, nodes, read)
    if written is not None:
        written.update(zip(nodes["location_key"], nodes["name"].where(nodes["kind"] == "city", None), strict=True))
    created = store.upsert_nodes("Location", arrow(nodes, "Location")).created_keys
    if len(rels):  # a place created just now has no IN yet: the store writes those without looking (the hint)
        store.upsert_relationships("IN", "Location", "Location", arrow(rels), created_from=created)
    return len(nodes)
