"""The ``load`` fixture: load a fixture file into the fresh embedded store from tests/conftest.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from loader_helpers import FIXTURES

from graph.embedded_store import EmbeddedStore
from loaders.base import LoadOptions, LoadReport, run_load
from loaders.kinds import loader_for


@pytest.fixture
def load(embedded_store: EmbeddedStore, tmp_path: Path) -> Callable[..., LoadReport]:
    def run(kind: str, name: str | Path, **options: object) -> LoadReport:
        path = name if isinstance(name, Path) else FIXTURES / name
        opts = LoadOptions(rejects_dir=tmp_path / "rejects", **options)  # type: ignore[arg-type]
        report = run_load(loader_for(kind), embedded_store, path, opts)
        assert report.read == report.loaded + report.rejected + report.skipped
        return report
    return run
