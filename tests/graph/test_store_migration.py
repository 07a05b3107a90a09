"""Upgrading from the Kùzu-based versions: the old file is refused with the fix named, and migrates with equal stats.

The fixture is a store written by the Kùzu-based tracegraph itself (tests/data/legacy, see PROVENANCE.md), with the
counts that version's `tracegraph stats --json` printed for it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from graph.embedded_store import EmbeddedStore

LEGACY = Path(__file__).parents[1] / "data" / "legacy"
TRACEGRAPH = [sys.executable, "-c", "from api.cli import main; main()"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TRACEGRAPH, *args], capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def kuzu_era_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("legacy") / "old.kuzu"
    with gzip.open(LEGACY / "kuzu-0.11.3-store.kuzu.gz", "rb") as src, path.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_opening_a_kuzu_era_store_names_the_migration(kuzu_era_store: Path) -> None:
    before = digest(kuzu_era_store)
    result = run("--db", str(kuzu_era_store), "stats")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Kùzu" in lines[0] and f"tracegraph store migrate {kuzu_era_store}" in lines[0]
    assert digest(kuzu_era_store) == before


def test_migrate_gives_equal_stats_and_leaves_the_old_file(kuzu_era_store: Path, tmp_path: Path) -> None:
    before = digest(kuzu_era_store)
    new = tmp_path / "migrated.lbug"
    result = run("store", "migrate", str(kuzu_era_store), str(new), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["kuzu_version"] == "0.11.3"
    assert report["before"] == report["after"]
    assert digest(kuzu_era_store) == before

    stats = run("--db", str(new), "stats", "--json")
    assert stats.returncode == 0, stats.stderr
    got = json.loads(stats.stdout)
    expected = json.loads((LEGACY / "kuzu-0.11.3-store.stats.json").read_text())
    for kind in ("nodes", "relationships"):
        for name, count in expected[kind].items():
            assert got[kind][name] == count, (kind, name)
        # labels or types this version added since start empty
        assert all(got[kind][name] == 0 for name in set(got[kind]) - set(expected[kind]))
    assert sum(expected["nodes"].values()) > 4000 and expected["relationships"]["FLOW"] > 2000


def test_migrated_store_is_usable(kuzu_era_store: Path, tmp_path: Path) -> None:
    new = tmp_path / "migrated.lbug"
    assert run("store", "migrate", str(kuzu_era_store), str(new)).returncode == 0
    with EmbeddedStore(new) as store:
        dealers = store.node_table("Dealer", ("business_name",)).to_pandas()
        assert len(dealers) == 306 and dealers["business_name"].notna().any()
    assert run("--db", str(new), "straw", "--top", "5", "--format", "csv").returncode == 0


def test_migrate_refuses_to_overwrite_or_to_migrate_a_new_store(kuzu_era_store: Path, tmp_path: Path) -> None:
    existing = tmp_path / "exists.lbug"
    existing.write_bytes(b"")
    result = run("store", "migrate", str(kuzu_era_store), str(existing))
    assert result.returncode == 2 and "exists already" in result.stderr
    fresh = tmp_path / "fresh.lbug"
    assert run("--db", str(fresh), "init").returncode == 0
    result = run("store", "migrate", str(fresh), str(tmp_path / "again.lbug"))
    assert result.returncode == 2 and "not a Kùzu-era store" in result.stderr
    assert not (tmp_path / "again.lbug").exists()
