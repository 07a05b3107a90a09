"""The `tracegraph load` command: JSON summary as the last stdout line, exit 2 with one line for unreadable files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from loader_helpers import FIXTURES

TRACEGRAPH = [str(Path(sys.executable).parent / "tracegraph")]


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TRACEGRAPH, "--db", str(tmp_path / "g.lbug"), *args], capture_output=True, text=True,
                          timeout=120)


def test_load_json_summary_and_exit_2_for_a_missing_column(tmp_path: Path) -> None:
    assert run(tmp_path, "init").returncode == 0
    done = run(tmp_path, "load", "traces", str(FIXTURES / "traces_malformed.csv"), "--json",
               "--rejects-dir", str(tmp_path / "rej"))
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"kind", "file", "read", "loaded", "rejected", "rejects_file", "run_id"} <= set(summary)
    assert summary["read"] == summary["loaded"] + summary["rejected"] == 12
    assert Path(summary["rejects_file"]).parent == tmp_path / "rej"
    wrong = run(tmp_path, "load", "traces", str(FIXTURES / "hotspots.csv"))
    assert wrong.returncode == 2
    lines = [line for line in wrong.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "missing required column" in lines[0] and "trace_id" in lines[0]
    binary = run(tmp_path, "load", "traces", str(FIXTURES / "0125-ffl-list-va-excerpt.xlsx"))
    assert binary.returncode == 2 and len([x for x in binary.stderr.splitlines() if x.strip()]) == 1


def test_piped_output_keeps_each_line_whole(tmp_path: Path) -> None:
    """Off a terminal (a pipe, a cron log) a load's line is one line, however long: its run id and the path of its
    rejects file are not broken at 80 columns, so a script can read them and an analyst can copy them."""
    assert run(tmp_path, "init").returncode == 0
    rejects = tmp_path / ("a-folder-name-long-enough-to-push-the-line-past-eighty-columns" * 2)
    done = run(tmp_path, "load", "traces", str(FIXTURES / "traces_malformed.csv"), "--rejects-dir", str(rejects),
               "--analyze", "none")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    loaded = [line for line in lines if line.startswith("traces traces_malformed.csv: read 12")]
    assert len(loaded) == 1 and loaded[0].endswith(")") and "(run traces-" in loaded[0]
    where = [line for line in lines if line.startswith("rejected rows with line numbers and reasons: ")]
    assert len(where) == 1 and where[0].endswith(".rejects.csv") and str(rejects) in where[0]
