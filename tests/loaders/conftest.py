"""The ``load`` fixture: load a fixture file into the fresh embedded store from tests/conftest.py; ``analysed``: a
streamed history with its full analysis and the day folders after it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from loader_helpers import FIXTURES

from graph.embedded_store import EmbeddedStore
from loaders.base import LoadOptions, LoadReport, run_load
from loaders.kinds import loader_for
from tests.worlds import analysed_history, copy_store


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """A history store with its full analysis, checkpointed (its write-ahead log empty), and the day folders after
    it. Copy the store with :func:`tests.worlds.copy_store` before writing to it."""
    history = analysed_history(tmp_path_factory, "small", 3, batches=3, batch_traces=100)
    db = copy_store(history.db, tmp_path_factory.mktemp("day") / "analysed.lbug")
    with EmbeddedStore(db) as store:
        store.checkpoint()
    return db, history.stream.batches


@pytest.fixture
def load(embedded_store: EmbeddedStore, tmp_path: Path) -> Callable[..., LoadReport]:
    def run(kind: str, name: str | Path, **options: object) -> LoadReport:
        path = name if isinstance(name, Path) else FIXTURES / name
        opts = LoadOptions(rejects_dir=tmp_path / "rejects", **options)  # type: ignore[arg-type]
        report = run_load(loader_for(kind), embedded_store, path, opts)
        assert report.read == report.loaded + report.rejected + report.skipped
        return report
    return run
