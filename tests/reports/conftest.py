"""One small simulated world, loaded and analysed once for every report test (about 20 s)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from graph.embedded_store import EmbeddedStore


@dataclass(frozen=True)
class ReportWorld:
    db: Path
    truth: dict[str, Any]
    run_id: str


@pytest.fixture(scope="session")
def report_world(tmp_path_factory: pytest.TempPathFactory) -> ReportWorld:
    from algorithms.analyze import analyze, write_back
    from api.cli.demo import LOADS
    from loaders.base import LoadOptions, run_load
    from loaders.kinds import loader_for
    from loaders.synthetic import simulate

    root = tmp_path_factory.mktemp("report-world")
    simulate("small", 7, root / "inputs")
    db = root / "world.lbug"
    with EmbeddedStore(db) as store:
        store.init_schema()
        for kind, name in LOADS:
            run_load(loader_for(kind), store, root / "inputs" / name, LoadOptions(rejects_dir=root / "rejects"))
        started = datetime.now(UTC)
        result = analyze(store, seed=7)
        write_back(store, result, started_at=started)
    truth = json.loads((root / "inputs" / "truth.json").read_text(encoding="utf-8"))
    return ReportWorld(db=db, truth=truth, run_id=result.run_id)
