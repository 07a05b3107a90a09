"""bench/memory_analysis.py: the analysis after a load, its memory by stage, Python's and Arrow's apart."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from algorithms import alerts
from algorithms import analyze as analyze_module
from api.services import daily
from graph.embedded_store import EmbeddedStore
from loaders.base import LoadOptions
from loaders.day import day_files
from tests.worlds import analysed_day_store

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from memory_analysis import measure, table


def test_each_stage_of_the_analysis_has_its_memory_and_the_code_runs_as_before_afterwards(
        tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    db = tmp_path / "db.lbug"
    history = analysed_day_store(tmp_path_factory, db)
    with EmbeddedStore(db) as store:  # the day loaded, not analysed
        daily.load_files(store, day_files(history.stream.batches[0]), LoadOptions(rejects_dir=tmp_path / "rejects"),
                         one_transaction=True)
    patched = (analyze_module.stage_timer, alerts.stage_timer, alerts.analyze_incremental)
    figures = measure(db, 256, sequential=True, python=True)
    rows = {row["stage"]: row for row in figures["rows"]}
    # the lanes one after the other: each stage of both lanes, the alerts, the write back and the commit, each with
    # its Python peak (traced) beside the process's figures
    for name in ("seeds", "changed", "closure", "straw_features", "straw", "networks", "batches",
                 "dealer_anomalies", "corridor_cells", "alerts", "write_back", "commit"):
        assert name in rows, name
        assert rows[name]["python"] >= rows[name]["python_end"] - 0.1 and rows[name]["python"] >= 0
        assert {"RssAnon", "RssFile", "arrow", "engine"} <= set(rows[name])
    assert "write_back_traces" not in rows  # (written with the rest: the lanes ran one after the other)
    assert figures["closure"] > 0 and figures["alerts"] is not None and figures["python_peak_mb"] is None
    assert patched == (analyze_module.stage_timer, alerts.stage_timer, alerts.analyze_incremental)
    assert "closure |" in table(figures)
