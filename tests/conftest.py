"""Shared fixtures. Test data copied from ../shared/data lives in tests/data (see tests/data/PROVENANCE.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.kuzu_store import KuzuStore

DATA = Path(__file__).parent / "data"


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def kuzu_store(tmp_path: Path) -> Iterator[KuzuStore]:
    """A fresh, initialised embedded store on disk."""
    store = KuzuStore(tmp_path / "graph.kuzu")
    store.init_schema()
    yield store
    store.close()
