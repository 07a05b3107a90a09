"""The retention cases store (tests/retention/retention_world.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.embedded_store import EmbeddedStore
from tests.retention.retention_world import write_world


@pytest.fixture
def cases(tmp_path: Path) -> Iterator[EmbeddedStore]:
    store = EmbeddedStore(tmp_path / "cases.lbug")
    store.init_schema()
    write_world(store)
    yield store
    store.close()
