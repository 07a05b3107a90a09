"""Fixtures of the sharing tests."""

from __future__ import annotations

import pytest
from sharing_graph import populate

from graph.embedded_store import EmbeddedStore


@pytest.fixture
def sharing_store(embedded_store: EmbeddedStore) -> EmbeddedStore:
    populate(embedded_store)
    return embedded_store
