"""Crime hotspots: ``hotspots.csv`` (``city, state, lat, lon, violent_crime_rate_per_100k,
homicide_rate_per_100k, data_year``) -> properties of city Locations (``city:US-IL:CHICAGO``).

:func:`loaders.domain.hotspots.hotspots_from_ucr` builds such a table from the shipped FBI UCR figures.
"""

from __future__ import annotations

import pandas as pd

from loaders import geo
from loaders.base import Loader, reasons_from
from loaders.domain import locations
from loaders.domain.parsing import parse_numbers, parse_states, text
from loaders.frames import arrow


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
        out: dict[str, pd.Series] = {"city": city, "state": state, "city_norm": locations.normalize_cities(city)}
        for name, low, high in (("lat", -90, 90), ("lon", -180, 180), ("violent_crime_rate_per_100k", 0, None),
                                ("homicide_rate_per_100k", 0, None), ("data_year", 1900, 2100)):
            out[name], bad = parse_numbers(text(frame, name), low, high)
            checks.append((bad, f"{name} not a number in range"))
        key = locations.city_keys(out["city_norm"], state)
        duplicate = (key.duplicated() | key.isin(self.seen)) & key.notna()
        self.seen.update(key.dropna().tolist())
        checks.append((duplicate, "duplicate city in file"))
        out["location_key"] = key
        return pd.DataFrame(out, index=frame.index), reasons_from(checks, frame.index)

    def load(self, good: pd.DataFrame) -> int:
        geo.upsert_places(self.store, pd.DataFrame({"country": locations.US, "state": good["state"],
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
