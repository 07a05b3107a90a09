"""Two analysed stores, each with a byte copy for the API (the CLI and the server each own a store file),
copied from the session's builds (tests/worlds.py):
the small simulated world, and the real public files (Virginia FFL list excerpt, ATF inspection reports, ATF's
2013 and 2016 state source-recovery tables, UCR hotspots; tests/data/PROVENANCE.md)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.worlds import Built, copy_store, demo, public


@dataclass(frozen=True)
class World:
    cli_db: Path   # what the CLI opens
    api_db: Path   # a copy the API server owns


def two_copies(built: Built, root: Path) -> World:
    """The session's store ``built``, copied twice into ``root``: one for the CLI, one for the API server."""
    return World(cli_db=copy_store(built.db, root / "cli" / "graph.lbug"),
                 api_db=copy_store(built.db, root / "api" / "graph.lbug"))


@pytest.fixture(scope="session")
def demo_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return two_copies(demo(tmp_path_factory), tmp_path_factory.mktemp("svc-demo"))


@pytest.fixture(scope="session")
def public_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return two_copies(public(tmp_path_factory), tmp_path_factory.mktemp("svc-public"))
