"""A city's display name is the first spelling the store met: a later load that spells it otherwise changes
neither the name nor its version stamp (``date_added``, which exports show), so a day's load does not re-stamp
hundreds of cities (loaders/geo.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from graph.embedded_store import EmbeddedStore
from loaders import geo


def _places(city: str) -> pd.DataFrame:
    return pd.DataFrame({"country": ["US", "US"], "state": ["MO", "IL"], "city_norm": ["SAINT LOUIS", "CHICAGO"],
                         "city": [city, "Chicago"], "zip": [None, None]})


def _cities(store: EmbeddedStore) -> dict[str, tuple[str, object]]:
    table = store.node_table("Location", ("kind", "name", "date_added")).to_pylist()
    return {row["key"]: (row["name"], row["date_added"]) for row in table if row["kind"] == "city"}


def test_a_later_spelling_keeps_the_stored_name_and_its_stamp(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "g.lbug") as store:
        store.init_schema()
        assert geo.upsert_places(store, _places("St. Louis")) > 0
        first = _cities(store)
        assert sorted(name for name, _ in first.values()) == ["Chicago", "St. Louis"]
        geo.upsert_places(store, _places("SAINT LOUIS"))  # another day's file, another spelling
        assert _cities(store) == first
        new_city = pd.DataFrame({"country": ["US"], "state": ["MO"], "city_norm": ["KANSAS CITY"],
                                 "city": ["Kansas City"], "zip": [None]})
        geo.upsert_places(store, new_city)  # a city the store has not met gets its spelling
        assert {name for name, _ in _cities(store).values()} == {"Chicago", "St. Louis", "Kansas City"}
