"""A small simulated world, generated and loaded once per session (about 15 s), shared by the matching tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from algorithms.tables import AnalysisTables, load_tables
from graph.embedded_store import EmbeddedStore

SEED = 7


@dataclass(frozen=True)
class World:
    db: Path
    truth: dict[str, Any]
    tables: AnalysisTables


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    from api.cli.demo import LOADS
    from loaders.base import LoadOptions, run_load
    from loaders.kinds import loader_for
    from loaders.synthetic import simulate

    root = tmp_path_factory.mktemp("matching_world")
    simulate("small", SEED, root / "inputs")
    with EmbeddedStore(root / "graph.lbug") as store:
        store.init_schema()
        for kind, name in LOADS:
            run_load(loader_for(kind), store, root / "inputs" / name, LoadOptions(rejects_dir=root / "rejects"))
        tables = load_tables(store)
    truth = json.loads((root / "inputs" / "truth.json").read_text(encoding="utf-8"))
    return World(root / "graph.lbug", truth, tables)
