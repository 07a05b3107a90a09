"""One small simulated world, loaded and analysed once for every report test: a copy of the session's (the one
tests/services and tests/web use; tests/worlds.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.worlds import copy_store, demo


@dataclass(frozen=True)
class ReportWorld:
    db: Path
    truth: dict[str, Any]
    run_id: str


@pytest.fixture(scope="session")
def report_world(tmp_path_factory: pytest.TempPathFactory) -> ReportWorld:
    built = demo(tmp_path_factory)
    assert built.run_id is not None
    db = copy_store(built.db, tmp_path_factory.mktemp("report-world") / "world.lbug")
    return ReportWorld(db=db, truth=built.truth, run_id=built.run_id)
