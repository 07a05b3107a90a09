"""The graph does not depend on how a run is cut: the same traces give the same persons, the same person per
mention and the same LIVES_AT edges whatever ``batch_rows`` is and in whatever order the rows come."""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from graph.embedded_store import EmbeddedStore
from loaders.base import LoadOptions, run_load
from loaders.kinds import loader_for
from tests.worlds import simulated

ROWS = 800  # of the simulated world's traces: enough for straw purchasers buying across batches


@pytest.fixture(scope="module")
def traces(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[dict[str, str]]]:
    root = simulated(tmp_path_factory, "small", 7)
    with (root / "traces.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    # the rows of the purchasers who appear most often first: the slice keeps people with many mentions
    counts: dict[tuple[str, str], int] = {("", ""): 0}  # rows without a purchaser come last
    for row in rows:
        who = (row["purchaser_last_name"], row["purchaser_dob"])
        if who != ("", ""):
            counts[who] = counts.get(who, 0) + 1
    rows.sort(key=lambda r: (-counts.get((r["purchaser_last_name"], r["purchaser_dob"]), 0), r["trace_id"]))
    return list(reader.fieldnames or []), rows[:ROWS]


def graph_of(tmp: Path, header: list[str], rows: list[dict[str, str]], batch_rows: int) -> dict[str, Any]:
    path = tmp / "traces.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    with EmbeddedStore(tmp / "g.lbug") as store:
        store.init_schema()
        run_load(loader_for("traces"), store, path, LoadOptions(rejects_dir=tmp / "rejects", batch_rows=batch_rows))
        def rows_of(table: Any) -> list[tuple[Any, ...]]:  # sorted, duplicates kept: a doubled edge shows
            return sorted(table.to_pandas().astype(str).itertuples(index=False, name=None))

        return {"persons": rows_of(store.node_table("Person", ("last_name", "first_name", "dob"))),
                "purchased": rows_of(store.edge_list("PURCHASED", "Person", "Firearm", ("sale_id",))),
                "possessed": rows_of(store.edge_list("POSSESSED_BY", "Recovery", "Person")),
                "lives_at": rows_of(store.edge_list("LIVES_AT", "Person", "Location"))}


@pytest.fixture(scope="module")
def reference(traces: tuple[list[str], list[dict[str, str]]], tmp_path_factory: pytest.TempPathFactory
              ) -> dict[str, Any]:
    header, rows = traces
    return graph_of(tmp_path_factory.mktemp("reference"), header, rows, batch_rows=10 * ROWS)


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])  # a failing cut is shown as is: no slow shrinking
@given(batch_rows=st.integers(min_value=37, max_value=ROWS), shuffle_seed=st.integers(0, 2**16))
def test_persons_do_not_depend_on_batch_size_or_row_order(traces: tuple[list[str], list[dict[str, str]]],
                                                           reference: dict[str, Any],
                                                           tmp_path_factory: pytest.TempPathFactory,
                                                           batch_rows: int, shuffle_seed: int) -> None:
    header, rows = traces
    shuffled = list(rows)
    random.Random(shuffle_seed).shuffle(shuffled)
    got = graph_of(tmp_path_factory.mktemp("cut"), header, shuffled, batch_rows)
    assert len(got["persons"]) > 100 and len(got["purchased"]) > 100
    for part in ("persons", "purchased", "possessed", "lives_at"):
        assert got[part] == reference[part], part
