"""A full disk ends a load within seconds with one line naming the store and "no space left" (exit 2), and the
store stays usable: once there is room, the same load finishes it. On a real small filesystem (a tmpfs mounted
for the test; skipped where mounting is not permitted - CI runs as root, where it runs)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.worlds import simulated

TRACEGRAPH = [str(Path(sys.executable).parent / "tracegraph")]


def tg(db: Path, *args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TRACEGRAPH, "--db", str(db), *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def small_filesystem(tmp_path: Path) -> Iterator[Path]:
    target = tmp_path / "small"
    target.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs as root)")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(target)], capture_output=True,
                             text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


def test_a_full_disk_ends_the_load_with_one_line_and_the_store_recovers(small_filesystem: Path,
                                                                        tmp_path: Path,
                                                                        tmp_path_factory: pytest.TempPathFactory
                                                                        ) -> None:
    world = simulated(tmp_path_factory, "small", 4)
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
