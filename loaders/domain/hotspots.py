"""Crime hotspots from the FBI UCR figures shipped with tracegraph, for 68 large jurisdictions (The Marshall
Project's compilation, :func:`loaders.domain.reference.ucr_city_crime`): department names such as
"Albuquerque, N.M." are split into city and state (AP abbreviations; the state of names without one, e.g.
"Atlanta", comes from the agency's ORI, whose first two letters are the state); county departments and the
national row are left out; coordinates come from the Census place gazetteer. The table has the columns of a
``hotspots.csv`` (:mod:`loaders.hotspots` loads one); the dealer profile uses it when none is loaded.
"""

from __future__ import annotations

import re

import pandas as pd

from loaders.domain import locations, reference
from loaders.domain.parsing import AP_STATES

HOTSPOT_COLUMNS = ("city", "state", "lat", "lon", "violent_crime_rate_per_100k", "homicide_rate_per_100k",
                   "data_year")
_CITY_FIXES = {"NEW YORK CITY": "NEW YORK", "CHARLOTTE-MECKLENBURG": "CHARLOTTE", "WASHINGTON": "WASHINGTON"}


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
    coords = locations.geocode(pd.DataFrame({"zip": None, "city_norm": locations.normalize_cities(table["city"]),
                                       "state": table["state"]}))
    table["lat"] = coords["lat"].where(coords["geocode_precision"] == "city").round(5)
    table["lon"] = coords["lon"].where(coords["geocode_precision"] == "city").round(5)
    return table[list(HOTSPOT_COLUMNS)]
