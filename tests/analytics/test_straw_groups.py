"""The straw groups too big to tie (algorithms/straw_groups.py) as the full analysis stores them: the groups the
straw features' own ties left out, one pass over the rows instead of counting every membership again."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from algorithms import straw_features, straw_groups
from algorithms.analyze import analyze
from algorithms.tables import load_tables
from graph.embedded_store import EmbeddedStore
from tests.analytics.conftest import D, World


def _crowds() -> World:
    """One group over its limit of each stored kind, and one at its limit (which still ties, so is not stored)."""
    w = World()
    w.dealer("GA1", "GA", 33.7, -84.4)
    w.dealer("NY1", "NY", 40.7, -74.0)
    for i in range(9):  # a dealer-day of 9 buyers (limit 8) ...
        w.person(f"day{i}")
        w.gun(f"day{i}", "GA1", D(2020, 1, 10))
    for i in range(8):  # ... and one of 8
        w.person(f"even{i}")
        w.gun(f"even{i}", "NY1", D(2020, 2, 1))
    for i in range(7):  # an address of 7 (limit 6) and one of 6
        w.person(f"block{i}", street="1 Main St", zip_code="10001")
        w.gun(f"block{i}", "NY1", D(2015, 1, 1 + i))
    for i in range(6):
        w.person(f"flat{i}", street="2 Main St", zip_code="10001")
        w.gun(f"flat{i}", "NY1", D(2015, 2, 1 + i))
    w.person("boss")
    for i in range(11):  # purchasers of 11 guns recovered from one possessor (limit 10)
        w.person(f"fed{i}")
        w.gun(f"fed{i}", "NY1", D(2016, 1, 1 + i), recovered=D(2016, 6, 1), possessor="boss", state="NJ",
              city="NEWARK", lat=40.7, lon=-74.2)
    for i in range(41):  # 41 buyers at one dealer, guns quickly recovered in one city (supply line, corridor and
        w.person(f"line{i}")  # recovered-together groups, limits 40, 40, 6) ...
        w.person(f"holder{i}")
        w.gun(f"line{i}", "GA1", D(2018, 1, 1 + i % 28), recovered=D(2018, 9, 1 + i % 28), possessor=f"holder{i}")
    for i in range(41):  # ... and 41 named on multiple-sale reports at one dealer (limit 40)
        w.person(f"counter{i}")
        w.gun(f"counter{i}", "NY1", D(2019, 3, 1 + i % 28), report=f"MS-{i}")
    return w


def test_the_full_run_stores_the_groups_its_ties_left_out(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "crowds.lbug") as store:
        store.init_schema()
        _crowds().write(store)
        tables = load_tables(store)
        found = straw_features.compute(tables).big_groups.set_index("group_id")["straw_members"]
        recount = straw_groups.of_tables(tables).set_index("group_id")["straw_members"]
        assert set(found.index.str[:2]) == {"jp", "ad", "cp", "sl", "co", "rt", "sc"}
        pd.testing.assert_series_equal(found.sort_index(), recount.sort_index())
        assert found["jp|GA1|2020-01-10"] == 9 and found["cp|boss"] == 11 and found["sc|NY1"] == 41
        assert not [g for g in found.index if "NY1|2020-02-01" in g]  # eight on a day still tie
        assert (found.index.str.startswith("ad|")).sum() == 1  # seven at an address; six still tie

        result = analyze(store)  # what the full run hands its write back
        assert result.big_groups is not None and "straw_groups" not in result.timings  # no second pass
        straw_groups.write(store, result.big_groups, result.run_id, whole=True)
        stored = store.node_table("StrawGroup", ("straw_members",)).to_pandas().set_index("key")["straw_members"]
        assert stored.sort_index().to_dict() == recount.sort_index().to_dict()
