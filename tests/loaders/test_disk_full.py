"""A full disk ends a load within seconds with one line naming the store and "no space left" (exit 2), and the
store stays usable: once there is room, the same load finishes it, and every batch committed before the disk
filled is still there (a day's commits live in the write-ahead log until the checkpoint: the torn write at its end
is cut off, graph/embedded_log.py). On a real small filesystem (a tmpfs mounted for the test; skipped where
mounting is not permitted - CI runs as root, where it runs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.worlds import clean_load_counts, simulated

TRACEGRAPH = [str(Path(sys.executable).parent / "tracegraph")]


def tg(db: Path, *args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TRACEGRAPH, "--db", str(db), *args], capture_output=True, text=True, timeout=timeout)


def mount_small(tmp_path: Path, megabytes: int) -> Iterator[Path]:
    target = tmp_path / "small"
    target.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs as root)")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(target)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


@pytest.fixture
def small_filesystem(tmp_path: Path) -> Iterator[Path]:
    yield from mount_small(tmp_path, 6)


@pytest.fixture
def filesystem_for_a_few_batches(tmp_path: Path) -> Iterator[Path]:
    yield from mount_small(tmp_path, 24)  # a 5k-trace world's load writes ~33 MB of log in 1,000-row batches


def counts(db: Path) -> dict[str, dict[str, int]]:
    shown = tg(db, "stats", "--json")
    assert shown.returncode == 0, shown.stderr[-2000:]
    return {k: v for k, v in json.loads(shown.stdout).items() if k in ("nodes", "relationships")}


def test_a_full_disk_ends_the_load_with_one_line_and_the_store_recovers(small_filesystem: Path,
                                                                        tmp_path: Path,
                                                                        tmp_path_factory: pytest.TempPathFactory
                                                                        ) -> None:
    world = simulated(tmp_path_factory, "small", 11)
    db = small_filesystem / "g.lbug"
    assert tg(db, "init").returncode == 0
    started = time.monotonic()
    full = tg(db, "load", "traces", str(world / "traces.csv"), "--rejects-dir", str(tmp_path / "rejects"),
              "--batch-rows", "1000")
    assert full.returncode == 2, full.stderr[-2000:]
    errors = [line for line in full.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "no space left" in errors[0] and str(db) in errors[0]
    assert "Traceback" not in full.stderr and "terminate called" not in full.stderr
    assert time.monotonic() - started < 240
    subprocess.run(["mount", "-o", "remount,size=200m", str(small_filesystem)], check=True)
    assert tg(db, "stats").returncode == 0  # the store opens and reads after the failure
    again = tg(db, "load", "traces", str(world / "traces.csv"), "--rejects-dir", str(tmp_path / "rejects"),
               "--batch-rows", "1000")
    assert again.returncode == 0, again.stderr[-2000:]
    assert "interrupted" not in tg(db, "stats").stderr


def test_the_batches_committed_before_the_disk_filled_are_kept(filesystem_for_a_few_batches: Path, tmp_path: Path,
                                                                tmp_path_factory: pytest.TempPathFactory) -> None:
    world = simulated(tmp_path_factory, "small", 11)
    # the reference: the same load with room (in process, built once a session: not what is tested)
    expected = {k: v for k, v in clean_load_counts(tmp_path_factory, 11).items() if k in ("nodes", "relationships")}
    db = filesystem_for_a_few_batches / "g.lbug"
    assert tg(db, "init").returncode == 0
    full = tg(db, "load", "traces", str(world / "traces.csv"), "--rejects-dir", str(tmp_path / "r1"),
              "--batch-rows", "1000")
    assert full.returncode == 2 and "no space left" in full.stderr, full.stderr[-2000:]
    subprocess.run(["mount", "-o", "remount,size=200m", str(filesystem_for_a_few_batches)], check=True)
    opened = tg(db, "stats", "--json")
    assert opened.returncode == 0, opened.stderr[-2000:]
    assert "cut back to its last commit" in opened.stderr
    kept = json.loads(opened.stdout)["nodes"]
    assert 0 < kept["Recovery"] < expected["nodes"]["Recovery"]  # some batches committed, not all
    again = tg(db, "load", "traces", str(world / "traces.csv"), "--rejects-dir", str(tmp_path / "r2"),
               "--batch-rows", "1000")
    assert again.returncode == 0, again.stderr[-2000:]
    assert counts(db) == expected
