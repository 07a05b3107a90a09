"""Every benchmark of docs/performance.md on the Kùzu-era code and on this tree, in one run, alternating.

The Kùzu-based code is taken from git (``--old-rev``, default the last commit before the switch to LadybugDB) into a
temporary folder; each benchmark script then runs as its own process, first on that tree (which imports ``kuzu``),
then on this one (``ladybug``), so both meet the same machine conditions. Needs ``kuzu`` installed beside
``ladybug`` (``pip install -e '.[migrate]'``); the two are never imported into one process.

    .venv/bin/python bench/compare_engines.py [--only bulk,traces,analyze,api] [--out /tmp/engines.md]

Prints each run's figures and writes them, old and new side by side, to ``--out``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHES = {
    "bulk": ["bench/bench_bulk_load.py"],
    "traces": ["bench/bench_load_traces.py", "--rows", "1000000"],
    "analyze": ["bench/bench_analyze.py", "--scale", "national"],
    "api": ["bench/bench_api.py"],
}


def checkout(rev: str, into: Path) -> Path:
    """The tree of ``rev`` (tracked files only) extracted into ``into``."""
    archive = into / "old.tar"
    with archive.open("wb") as handle:
        subprocess.run(["git", "-C", str(ROOT), "archive", rev], stdout=handle, check=True)
    tree = into / "old"
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="data")
    return tree


def run(tree: Path, command: list[str]) -> tuple[float, str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *command], cwd=tree, env=env, capture_output=True, text=True,
                          check=False)
    elapsed = time.perf_counter() - start
    text = done.stdout.strip()
    if done.returncode != 0:
        text += f"\n(exit {done.returncode}) " + "\n".join(done.stderr.strip().splitlines()[-3:])
    return elapsed, text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old-rev", default="cb9d241", help="the Kùzu-based commit to compare against")
    parser.add_argument("--only", default=",".join(BENCHES), help="comma-separated subset of " + ",".join(BENCHES))
    parser.add_argument("--out", type=Path, default=Path("engines-comparison.md"))
    args = parser.parse_args()
    for name in ("kuzu", "ladybug"):
        probe = subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True, check=False)
        if probe.returncode != 0:
            raise SystemExit(f"{name} is not installed in {sys.executable}: pip install -e '.[migrate]'")
    sections = []
    with tempfile.TemporaryDirectory(prefix="tracegraph-engines-") as tmp:
        old_tree = checkout(args.old_rev, Path(tmp))
        for name in args.only.split(","):
            command = BENCHES[name]
            for label, tree in ((f"Kùzu 0.11.3 ({args.old_rev})", old_tree), ("LadybugDB 0.22.0 (this tree)", ROOT)):
                elapsed, text = run(tree, command)
                block = f"### {name}: {label}, {elapsed:.0f} s wall\n\n```\n$ python {' '.join(command)}\n{text}\n```\n"
                print(block, flush=True)
                sections.append(block)
    args.out.write_text("\n".join(sections))
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
