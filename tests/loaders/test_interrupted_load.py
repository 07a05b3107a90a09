"""A load that died half way is never read in silence: every command that opens the store names the run, the file
and what to do; re-running the same load finishes it, converging on the graph a clean load gives."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from graph.embedded_store import EmbeddedStore
from loaders.base import LoadOptions, SimulatedCrash, run_load
from loaders.kinds import loader_for

TRACEGRAPH = [str(Path(sys.executable).parent / "tracegraph")]
LOADED = {"nodes": ("Recovery", "Firearm", "Person", "Dealer", "Location"),
          "relationships": ("RECOVERED_IN", "PURCHASED", "POSSESSED_BY", "LIVES_AT", "SOLD", "AT", "IN")}


def tg(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TRACEGRAPH, "--db", str(db), *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("world")
    subprocess.run([*TRACEGRAPH, "simulate", "--scale", "small", "--seed", "11", "--out", str(root)], check=True,
                   capture_output=True, timeout=300)
    return root / "traces.csv"


def test_an_interrupted_load_is_named_by_every_command_until_rerun(world: Path, tmp_path: Path) -> None:
    db = tmp_path / "g.lbug"
    assert tg(db, "init").returncode == 0
    with EmbeddedStore(db) as store, pytest.raises(SimulatedCrash):
        run_load(loader_for("traces"), store, world, LoadOptions(rejects_dir=tmp_path, batch_rows=1000,
                                                                 crash_after_batches=2))
    for command in (["stats"], ["straw"], ["analyze"], ["dealers"]):
        done = tg(db, *command)
        assert done.returncode == 0, (command, done.stderr[-1500:])
        warning = [line for line in done.stderr.splitlines() if "interrupted" in line]
        assert len(warning) == 1, command
        assert "traces-" in warning[0] and str(world) in warning[0]
        assert "interrupted — re-run the same load to finish it" in warning[0]
    rerun = tg(db, "load", "traces", str(world), "--rejects-dir", str(tmp_path))
    assert rerun.returncode == 0, rerun.stderr
    after = tg(db, "stats")
    assert "interrupted" not in after.stderr
    clean_db = tmp_path / "clean.lbug"
    assert tg(clean_db, "init").returncode == 0
    assert tg(clean_db, "load", "traces", str(world), "--rejects-dir", str(tmp_path / "clean")).returncode == 0
    with EmbeddedStore(db) as resumed, EmbeddedStore(clean_db) as clean:
        counts, expected = resumed.counts(), clean.counts()
    for kind, names in LOADED.items():  # what the loader writes (analyze wrote more into the resumed store)
        assert {n: counts[kind][n] for n in names} == {n: expected[kind][n] for n in names}
