"""A small simulated world, loaded (not analysed) once per session (tests/worlds.py), shared by the matching tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from algorithms.tables import AnalysisTables, load_tables
from graph.embedded_store import EmbeddedStore
from tests.worlds import DEMO_LOADS, copy_store, loaded

SEED = 7


@dataclass(frozen=True)
class World:
    db: Path
    truth: dict[str, Any]
    tables: AnalysisTables


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    built = loaded(tmp_path_factory, DEMO_LOADS, world=("small", SEED), analyse_seed=None)
    db = copy_store(built.db, tmp_path_factory.mktemp("matching_world") / "graph.lbug")
    with EmbeddedStore(db) as store:
        tables = load_tables(store)
    return World(db, built.truth, tables)
