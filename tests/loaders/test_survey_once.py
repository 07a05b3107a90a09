"""A file of one batch (a day's) is validated once: the survey that resolves the run's persons validates it for the
load too, with the state its checks leave (duplicates, a report's first dealer). A file of several batches is
surveyed and then validated again batch by batch. Either way the store, the rejects and the run's figures are the
same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from loader_helpers import FIXTURES, rejects

from graph.embedded_store import EmbeddedStore
from loaders.base import Loader, LoadOptions, run_load
from loaders.multiple_sales import MultipleSalesLoader
from loaders.traces import TracesLoader


def _state(store: EmbeddedStore) -> dict[str, Any]:
    return {"counts": store.counts(),
            "persons": sorted(store.node_table("Person", ("record_count", "first_name")).to_pylist(), key=str),
            "purchased": sorted(store.edge_list("PURCHASED", "Person", "Firearm", ("sale_id",)).to_pylist(),
                                key=str),
            "sold": sorted(store.edge_list("SOLD", "Dealer", "Firearm").to_pylist(), key=str),
            "places": sorted(store.node_table("Location", ("name",)).to_pylist(), key=str)}


@pytest.mark.parametrize(("loader", "name", "lines"), [(TracesLoader, "traces_malformed.csv", 12),
                                                        (MultipleSalesLoader, "multiple_sales.csv", 6)])
def test_one_batch_is_validated_once_and_loads_what_many_batches_load(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loader: type[Loader], name: str, lines: int) -> None:
    validated: list[int] = []
    validate = loader.validate

    def counted(self: Loader, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
        validated.append(len(frame))
        return validate(self, frame)

    monkeypatch.setattr(loader, "validate", counted)
    results = []
    for rows in (250_000, 2, 1):
        validated.clear()
        with EmbeddedStore(tmp_path / f"{rows}.lbug") as store:
            store.init_schema()
            report = run_load(loader, store, FIXTURES / name,
                              LoadOptions(rejects_dir=tmp_path / f"rejects{rows}", batch_rows=rows))
            details = {k: v for k, v in report.details.items() if k != "recoveries_reported_stolen"}
            results.append((_state(store), rejects(report),
                            (report.read, report.loaded, report.rejected), details))
        batches = -(-lines // rows)
        assert len(validated) == (1 if batches == 1 else 2 * batches), rows
    assert results[0] == results[1] == results[2]
    assert results[0][2][2] > 0 or loader is MultipleSalesLoader  # the malformed traces are rejected
