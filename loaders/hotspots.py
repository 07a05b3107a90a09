"""Crime hotspots: ``hotspots.csv`` (``city, state, lat, lon, violent_crime_rate_per_100k,
homicide_rate_per_100k, data_year``) -> properties of city Locations (``city:US-IL:CHICAGO``).

:func:`hotspots_from_ucr` builds such a table from the FBI UCR figures for 68 large jurisdictions (The Marshall
Project's compilation, :func:`loaders.reference.ucr_city_crime`): department names such as
"Albuquerque, N.M." are split into city and state (AP abbreviations; the state of names without one, e.g.
"Atlanta", comes from the agency's ORI, whose first two letters are the state); county departments and the
national row are left out; coordinates come from the Census place gazetteer.
"""

from __future__ import annotations

import re

import pandas as pd

from loaders import geo, reference
from loaders.base import Loader, reasons_from
from loaders.frames import arrow
from loaders.parsing import AP_STATES, parse_numbers, parse_states, text

HOTSPOT_COLUMNS = ("city", "state", "lat", "lon", "violent_crime_rate_per_100k", "homicide_rate_per_100k",
                   "data_year")
_CITY_FIXES = {"NEW YORK CITY": "NEW YORK", "CHARLOTTE-MECKLENBURG": "CHARLOTTE", "WASHINGTON": "WASHINGTON"}


class HotspotsLoader(Loader):
    kind = "hotspots"
    required = ("city", "state")

    def begin(self) -> None:
        self.seen: set[str] = set()

    def validate(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
        checks: list[tuple[pd.Series, str]] = []
        city = text(frame, "city")
        checks.append((city.isna(), "missing city"))
        state, bad_state = parse_states(text(frame, "state"))
        checks.append((bad_state | state.isna(), "bad or missing state"))
        out: dict[str, pd.Series] = {"city": city, "state": state, "city_norm": geo.normalize_cities(city)}
        for name, low, high in (("lat", -90, 90), ("lon", -180, 180), ("violent_crime_rate_per_100k", 0, None),
                                ("homicide_rate_per_100k", 0, None), ("data_year", 1900, 2100)):
            out[name], bad = parse_numbers(text(frame, name), low, high)
            checks.append((bad, f"{name} not a number in range"))
        key = geo.city_keys(out["city_norm"], state)
        duplicate = (key.duplicated() | key.isin(self.seen)) & key.notna()
        self.seen.update(key.dropna().tolist())
        checks.append((duplicate, "duplicate city in file"))
        out["location_key"] = key
        return pd.DataFrame(out, index=frame.index), reasons_from(checks, frame.index)

    def load(self, good: pd.DataFrame) -> int:
        geo.upsert_places(self.store, pd.DataFrame({"country": geo.US, "state": good["state"],
                                                    "city_norm": good["city_norm"], "city": good["city"],
                                                    "zip": None}))
        nodes = pd.DataFrame({
            "location_key": good["location_key"], "lat": good["lat"], "lon": good["lon"],
            "violent_crime_rate_per_100k": good["violent_crime_rate_per_100k"],
            "homicide_rate_per_100k": good["homicide_rate_per_100k"],
            "crime_data_year": good["data_year"].astype("Int64"),
        })
        self.store.upsert_nodes("Location", arrow(nodes, "Location"))
        return len(good)


def split_department(name: str, ori: str | None) -> tuple[str | None, str | None]:
    """'Albuquerque, N.M.' -> ('ALBUQUERQUE', 'NM'); 'Atlanta' + ORI 'GAAPD00' -> ('ATLANTA', 'GA');
    counties and 'National' -> (None, None)."""
    if not name or name.strip().upper() == "NATIONAL" or re.search(r"\bCOUNTY\b", name, re.IGNORECASE):
        return None, None
    city, _, state_text = name.partition(",")
    state = AP_STATES.get(re.sub(r"[^A-Z]", "", state_text.upper())) if state_text else None
    if state is None and ori and len(ori) >= 2:
        state = ori[:2].upper()
    city = city.strip().upper()
    return _CITY_FIXES.get(city, city), state


def hotspots_from_ucr(year: int | None = None) -> pd.DataFrame:
    """A hotspots table (the columns of ``hotspots.csv``) for one UCR year (default: the latest)."""
    ucr = reference.ucr_city_crime()
    year = int(year if year is not None else ucr["year"].max())
    rows = ucr[ucr["year"] == year]
    parts = [split_department(str(n), str(o) if pd.notna(o) else None)
             for n, o in zip(rows["department_name"], rows["ORI"], strict=True)]
    table = pd.DataFrame({"city": [p[0] for p in parts], "state": [p[1] for p in parts],
                          "violent_crime_rate_per_100k": rows["violent_per_100k"].round(1).to_numpy(),
                          "homicide_rate_per_100k": rows["homs_per_100k"].round(2).to_numpy(),
                          "data_year": year})
    table = table[table["city"].notna() & table["violent_crime_rate_per_100k"].notna()].reset_index(drop=True)
    coords = geo.geocode(pd.DataFrame({"zip": None, "city_norm": geo.normalize_cities(table["city"]),
                                       "state": table["state"]}))
    table["lat"] = coords["lat"].where(coords["geocode_precision"] == "city").round(5)
    table["lon"] = coords["lon"].where(coords["geocode_precision"] == "city").round(5)
    return table[list(HOTSPOT_COLUMNS)]
