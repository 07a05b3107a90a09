"""Fixtures of the sharing tests: the populated store, and a real OASIS medallion TAXII server (the one setup every
TAXII test uses: :mod:`medallion_durable`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from medallion_durable import Medallion
from sharing_graph import populate

from graph.embedded_store import EmbeddedStore


@pytest.fixture
def sharing_store(embedded_store: EmbeddedStore) -> EmbeddedStore:
    populate(embedded_store)
    return embedded_store


@pytest.fixture
def medallion(tmp_path: Path) -> Iterator[Medallion]:
    """A started medallion server with one empty read-write collection (``medallion_durable.COLLECTION``)."""
    server = Medallion(tmp_path / "medallion")
    server.start()
    try:
        yield server
    finally:
        server.stop()
