"""Synthetic worlds shared by the simulate tests (generated once per session: ``small`` takes seconds)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from loaders.synthetic import simulate
from tests.simulate.sim_helpers import SEED, read_csv


@pytest.fixture(scope="session")
def world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world_a")
    simulate("small", SEED, out)
    return out


@pytest.fixture(scope="session")
def truth(world_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((world_dir / "truth.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="session")
def traces(world_dir: Path) -> pd.DataFrame:
    return read_csv(world_dir / "traces.csv")


