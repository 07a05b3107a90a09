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
from tests.cli_run import tracegraph
from tests.worlds import clean_load_counts, simulated

LOADED = {"nodes": ("Recovery", "Firearm", "Person", "Dealer", "Location"),
          "relationships": ("RECOVERED_IN", "PURCHASED", "POSSESSED_BY", "LIVES_AT", "SOLD", "AT", "IN")}


def tg(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return tracegraph("--db", db, *args)  # in this process (tests/cli_run.py); the kill -9 below is a process


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulated(tmp_path_factory, "small", 11) / "traces.csv"


def test_an_interrupted_load_is_named_by_every_command_until_rerun(world: Path, tmp_path: Path,
                                                                  tmp_path_factory: pytest.TempPathFactory) -> None:
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
    expected = clean_load_counts(tmp_path_factory, 11)  # one clean load of the same file (built once a session)
    with EmbeddedStore(db) as resumed:
        counts = resumed.counts()
    for kind, names in LOADED.items():  # what the loader writes (analyze wrote more into the resumed store)
        assert {n: counts[kind][n] for n in names} == {n: expected[kind][n] for n in names}


KILL_MID_BATCH = """
import os, signal, sys
from pathlib import Path
from graph.embedded_store import EmbeddedStore
from loaders.base import LoadOptions, run_load
from loaders.kinds import loader_for

db, world, rejects = sys.argv[1:4]
written = {"Recovery": 0}
upsert = EmbeddedStore.upsert_nodes


def upsert_then_die(self, label, rows):
    summary = upsert(self, label, rows)
    if label == "Recovery":
        written["Recovery"] += 1
        if written["Recovery"] == 3:  # batch 3's recoveries are written, their RECOVERED_IN not yet
            os.kill(os.getpid(), signal.SIGKILL)
    return summary


EmbeddedStore.upsert_nodes = upsert_then_die
with EmbeddedStore(db) as store:
    run_load(loader_for("traces"), store, Path(world), LoadOptions(rejects_dir=Path(rejects), batch_rows=1000))
"""


def _recoveries_and_edges(db: Path) -> tuple[int, int]:
    with EmbeddedStore(db) as store:
        counts = store.counts()
    return counts["nodes"]["Recovery"], counts["relationships"]["RECOVERED_IN"]


def test_kill_9_inside_a_batch_leaves_the_whole_batch_out(world: Path, tmp_path: Path) -> None:
    """Issue 23, defect 4: a batch's nodes and relationships are one transaction on the embedded store, so a
    kill -9 between them leaves no recovery without its firearm (was: 19,906 Recovery, 14,925 RECOVERED_IN)."""
    db = tmp_path / "g.lbug"
    assert tg(db, "init").returncode == 0
    killed = subprocess.run([sys.executable, "-c", KILL_MID_BATCH, str(db), str(world), str(tmp_path)],
                            capture_output=True, text=True, timeout=300)
    assert killed.returncode == -9, killed.stderr[-2000:]
    recoveries, edges = _recoveries_and_edges(db)
    assert 0 < recoveries == edges  # batches 1 and 2 whole, nothing of batch 3
    assert recoveries <= 2000
    stats = tg(db, "stats")
    assert "interrupted — re-run the same load to finish it" in stats.stderr
    rerun = tg(db, "load", "traces", str(world), "--rejects-dir", str(tmp_path))
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    recoveries, edges = _recoveries_and_edges(db)
    assert recoveries == edges > 2000
    assert "interrupted" not in tg(db, "stats").stderr
