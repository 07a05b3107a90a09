"""A rewrite of relationships (``upsert_relationships(rewrite=True)``) ends with the rows a plain upsert leaves,
whether it takes the stored rows by a join of the batch or, the batch naming most of the type, by one scan of the
rows sharing its key values (graph/embedded_rel_writes.SCAN_SHARE): rows in that scope the batch does not name are
written back as they were, rows outside it are not touched, none is doubled or lost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graph import embedded_rel_writes
from graph.embedded_store import EmbeddedStore
from graph.store import one_unit

PROPS = ("year", "basis", "level", "firearms", "score", "z", "trend", "analysis_run_id")


def _flow(src: str, dst: str, year: int, basis: str = "traces", **values: object) -> dict[str, object]:
    return {"from_key": src, "to_key": dst, "year": year, "basis": basis, "level": "city", **values}


def _stored(store: EmbeddedStore) -> list[dict[str, Any]]:
    edges = store.edge_list("FLOW", "Location", "Location", PROPS).to_pylist()
    return sorted(edges, key=lambda e: (e["src"], e["dst"], e["year"], e["basis"]))


def _written(path: Path, rewrite: bool) -> list[dict[str, Any]]:
    with EmbeddedStore(path) as store:
        store.init_schema()
        store.upsert_nodes("Location", [{"location_key": k} for k in "ABCD"])
        store.upsert_relationships("FLOW", "Location", "Location", [
            _flow("A", "B", 2019, firearms=3, score=1.0, trend="stable", analysis_run_id="full"),
            _flow("B", "C", 2019, firearms=8, score=-0.5, trend="rising", analysis_run_id="full"),  # in scope, unnamed
            _flow("A", "B", 2018, firearms=4, score=1.5, analysis_run_id="full"),           # another year
            _flow("A", "B", 2019, "atf_table", firearms=30, analysis_run_id="full"),        # another basis
            _flow("B", "A", 2019, firearms=2, score=0.5, analysis_run_id="full")])
        with one_unit(store):
            store.upsert_relationships("FLOW", "Location", "Location", [_flow("D", "A", 2019, firearms=1, z=0.1)])
            summary = store.upsert_relationships("FLOW", "Location", "Location", [
                _flow("A", "B", 2019, firearms=5, score=2.0, trend=None),  # the stored trend stays
                _flow("B", "A", 2020, firearms=2, score=0.5),                # new (a year the type lacks)
                _flow("B", "A", 2019, firearms=2, score=0.7),
                _flow("D", "A", 2019, firearms=9),                           # written earlier in this transaction
                _flow("A", "C", 2019, firearms=7, score=3.0)], rewrite=rewrite)  # new
        assert (summary.created, summary.updated) == (2, 3)
        return _stored(store)


@pytest.mark.parametrize("share", [0.0, 1e9], ids=["scan", "join"])
def test_a_rewrite_by_scan_or_by_join_leaves_what_an_upsert_leaves(tmp_path: Path, share: float,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    plain = _written(tmp_path / "plain.lbug", rewrite=False)
    monkeypatch.setattr(embedded_rel_writes, "SCAN_SHARE", share)
    assert _written(tmp_path / "rewritten.lbug", rewrite=True) == plain
    by_key = {(e["src"], e["dst"], e["year"], e["basis"]): e for e in plain}
    assert len(by_key) == len(plain) == 8
    assert by_key[("B", "C", 2019, "traces")]["trend"] == "rising"
    assert by_key[("A", "B", 2019, "traces")]["trend"] == "stable"
    assert by_key[("D", "A", 2019, "traces")]["firearms"] == 9 and by_key[("D", "A", 2019, "traces")]["z"] == 0.1
