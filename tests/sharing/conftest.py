"""Fixtures of the sharing tests."""

from __future__ import annotations

import pytest
from sharing_graph import populate

from graph.kuzu_store import KuzuStore


@pytest.fixture
def sharing_store(kuzu_store: KuzuStore) -> KuzuStore:
    populate(kuzu_store)
    return kuzu_store
