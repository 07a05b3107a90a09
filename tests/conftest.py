"""Shared fixtures. Test data copied from ../shared/data lives in tests/data (see tests/data/PROVENANCE.md)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.embedded_store import EmbeddedStore

DATA = Path(__file__).parent / "data"


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def embedded_store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    """A fresh, initialised embedded store on disk."""
    store = EmbeddedStore(tmp_path / "graph.lbug")
    store.init_schema()
    yield store
    store.close()


def require(available: bool, reason: str) -> None:
    """Skip a test whose system dependency is missing on a user's machine; in CI (CI=true) fail instead,
    because CI installs every dependency and a skip there would hide a broken install."""
    if available:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must run this test but: {reason}")
    pytest.skip(reason)
