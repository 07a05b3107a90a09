"""A small store loaded through the real CLI from the fixtures in tests/data/dealer_profile (real ATF records)."""

from __future__ import annotations

from pathlib import Path

import pytest
from profile_fixtures import load_fixtures


@pytest.fixture(scope="module")
def loaded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("dealer_profile") / "graph.lbug"
    load_fixtures(db)
    return db
