"""A city's display name is the best spelling met, whatever order the loads came in: a spelling with lower-case
letters over one in capitals only, then code-point order (loaders/geo.py). A later load that spells a city worse
changes neither its name nor its version stamp (``date_added``, which exports show), so a day's load does not
re-stamp hundreds of cities; the FFL list's "BALTIMORE" does not replace the traces' "Baltimore"."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.embedded_store import EmbeddedStore
from loaders import geo


def _places(*spellings: str) -> pd.DataFrame:
    return pd.DataFrame({"country": "US", "state": ["MO"] * len(spellings) + ["IL"],
                         "city_norm": ["SAINT LOUIS"] * len(spellings) + ["CHICAGO"],
                         "city": [*spellings, "Chicago"], "zip": None})


def _cities(store: EmbeddedStore) -> dict[str, tuple[str, object]]:
    table = store.node_table("Location", ("kind", "name", "date_added")).to_pylist()
    return {row["key"]: (row["name"], row["date_added"]) for row in table if row["kind"] == "city"}


def _names(store: EmbeddedStore) -> set[str]:
    return {name for name, _ in _cities(store).values()}


def test_a_worse_spelling_keeps_the_stored_name_and_its_stamp(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "g.lbug") as store:
        store.init_schema()
        assert geo.upsert_places(store, _places("St. Louis")) > 0
        first = _cities(store)
        assert _names(store) == {"Chicago", "St. Louis"}
        geo.upsert_places(store, _places("SAINT LOUIS"))  # another day's file, in capitals only
        geo.upsert_places(store, _places("St. Louis"))  # the same spelling again
        assert _cities(store) == first
        geo.upsert_places(store, pd.DataFrame({"country": ["US"], "state": ["MO"], "city_norm": ["KANSAS CITY"],
                                               "city": ["Kansas City"], "zip": [None]}))
        assert _names(store) == {"Chicago", "St. Louis", "Kansas City"}


def test_mixed_case_replaces_capitals_in_either_order(tmp_path: Path) -> None:
    """The FFL list spells its premise cities in capitals; trace rows mostly do not."""
    for order, name in ((("BALTIMORE", "Baltimore"), "a"), (("Baltimore", "BALTIMORE"), "b")):
        with EmbeddedStore(tmp_path / f"{name}.lbug") as store:
            store.init_schema()
            for spelling in order:
                geo.upsert_places(store, pd.DataFrame({"country": ["US"], "state": ["MD"],
                                                       "city_norm": ["BALTIMORE"], "city": [spelling],
                                                       "zip": [None]}))
            assert _names(store) == {"Baltimore"}, order


def test_a_later_batch_of_one_run_may_spell_a_city_better(tmp_path: Path) -> None:
    """A loader skips the places an earlier batch of its run wrote, but not a city: its name may improve."""
    with EmbeddedStore(tmp_path / "g.lbug") as store:
        store.init_schema()
        written: dict[str, str | None] = {}
        geo.upsert_places(store, _places("ST LOUIS"), written)
        geo.upsert_places(store, _places("St. Louis"), written)
        assert _names(store) == {"Chicago", "St. Louis"}


def test_a_run_sends_a_city_again_only_when_it_spells_it_better(tmp_path: Path) -> None:
    """Within a run the loader knows what it wrote: a city spelled the same or worse by a later batch is neither
    read nor written again; a better spelling is written without reading the stored name."""
    with EmbeddedStore(tmp_path / "g.lbug") as store:
        store.init_schema()
        written: dict[str, str | None] = {}
        assert geo.upsert_places(store, _places("St. Louis"), written) > 0
        first = _cities(store)
        asked: list[str] = []
        query = store.query

        def counted(name: str, params: dict[str, object] | None = None) -> object:
            asked.append(name)
            return query(name, params)

        store.query = counted  # type: ignore[method-assign,assignment]
        assert geo.upsert_places(store, _places("ST. LOUIS", "St. Louis"), written) == 0
        assert _cities(store) == first
        assert geo.upsert_places(store, _places("SAINT LOUIS", "St Louis"), written) == 1  # " " before "."
        assert asked == []
        assert _names(store) == {"Chicago", "St Louis"}
        assert sorted(v for v in written.values() if v) == ["Chicago", "St Louis"]


SPELLINGS = st.sampled_from(["St. Louis", "Saint Louis", "ST. LOUIS", "SAINT LOUIS", "st louis", "St Louis"])


@settings(max_examples=25, deadline=None)
@given(loads=st.lists(st.lists(SPELLINGS, min_size=1, max_size=3), min_size=1, max_size=4))
def test_the_name_does_not_depend_on_the_order_of_loads_or_rows(tmp_path_factory, loads: list[list[str]]) -> None:
    every = [spelling for load in loads for spelling in load]
    expected = sorted(every, key=lambda s: (s == s.upper(), s))[0]
    names = []
    for order in (loads, list(reversed([list(reversed(load)) for load in loads]))):
        with EmbeddedStore(tmp_path_factory.mktemp("order") / "g.lbug") as store:
            store.init_schema()
            for load in order:
                geo.upsert_places(store, _places(*load))
            names.append(_names(store) - {"Chicago"})
    assert names == [{expected}, {expected}]


@settings(max_examples=25, deadline=None)
@given(loads=st.lists(st.lists(SPELLINGS, min_size=1, max_size=3), min_size=1, max_size=4))
def test_batches_of_one_run_give_the_name_separate_loads_give(tmp_path_factory, loads: list[list[str]]) -> None:
    every = [spelling for load in loads for spelling in load]
    expected = sorted([*every, "SAINT LOUIS"], key=lambda s: (s == s.upper(), s))[0]
    with EmbeddedStore(tmp_path_factory.mktemp("run") / "g.lbug") as store:
        store.init_schema()
        geo.upsert_places(store, _places("SAINT LOUIS"))  # stored by an earlier run, in capitals
        written: dict[str, str | None] = {}
        for load in loads:
            geo.upsert_places(store, _places(*load), written)
        assert _names(store) - {"Chicago"} == {expected}
