"""Can a commit skip LadybugDB's checkpoint and stay durable? The facts behind docs/performance.md's "The commit's
checkpoint" (load12), on a small store made here, each step in its own process:

1. ``setup``: a node table and a relationship table of 500k rows each, checkpointed.
2. ``write MODE``: in one transaction 2,000 new nodes, 2,000 new relationships (``copy``: ``COPY … FROM $batch``;
   ``create``: ``LOAD FROM $batch … CREATE``) and 2,000 updates (``LOAD FROM $batch MATCH … SET``), then
   ``COMMIT``; ``kill`` in MODE kills the process (SIGKILL) right after the commit; ``noclose`` sets
   ``force_checkpoint_on_close=false``, ``noauto`` ``auto_checkpoint=false``.
3. ``count``: reopens the store (replaying its write-ahead log) and counts what is there.

What it shows on LadybugDB 0.22.0: a transaction with a ``COPY`` checkpoints at its commit (the engine forces it:
``COPY`` writes its pages, not log records); with the automatic checkpoint off that commit is not durable, not
even across a clean close. ``CREATE`` and ``SET`` go to the log: the commit is a log write, a process killed right
after it keeps the batch (the next open replays the log), and ``force_checkpoint_on_close=false`` leaves the
checkpoint to a later moment.

    .venv/bin/python bench/bench_checkpoint.py --work /tmp/ckpt
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import ladybug
import pyarrow as pa

ROWS, BATCH = 500_000, 2_000


def _open(db: Path) -> tuple[ladybug.Database, ladybug.Connection]:
    database = ladybug.Database(str(db), buffer_pool_size=1 << 31)
    return database, ladybug.Connection(database)


def _files(db: Path) -> str:
    return ", ".join(f"{p.name} {p.stat().st_size:,} B" for p in sorted(db.parent.glob(db.name + "*")))


def setup(db: Path) -> None:
    for stale in db.parent.glob(db.name + "*"):
        stale.unlink()
    database, conn = _open(db)
    conn.execute("CREATE NODE TABLE P(k STRING, v INT64, PRIMARY KEY(k))")
    conn.execute("CREATE REL TABLE R(FROM P TO P, w INT64)")
    conn.execute("COPY P FROM $b", {"b": pa.table({"k": [f"p{i}" for i in range(ROWS)], "v": list(range(ROWS))})})
    conn.execute("COPY R FROM $b", {"b": pa.table({"from": [f"p{i}" for i in range(ROWS)],
                                                   "to": [f"p{i * 7 % ROWS}" for i in range(ROWS)],
                                                   "w": list(range(ROWS))})})
    conn.close()
    database.close()


def write(db: Path, mode: str) -> None:
    database, conn = _open(db)
    if "noclose" in mode:
        conn.execute("CALL force_checkpoint_on_close=false")
    if "noauto" in mode:
        conn.execute("CALL auto_checkpoint=false")
    keys = [f"{mode}-{i}" for i in range(BATCH)]
    conn.execute("BEGIN TRANSACTION")
    if "copy" in mode:
        conn.execute("COPY P FROM $b", {"b": pa.table({"k": keys, "v": list(range(BATCH))})})
        conn.execute("COPY R FROM $b", {"b": pa.table({"from": keys, "to": [f"p{i * 13}" for i in range(BATCH)],
                                                       "w": list(range(BATCH))})})
    else:
        conn.execute("LOAD FROM $b CREATE (:P {k: k, v: v})", {"b": pa.table({"k": keys, "v": list(range(BATCH))})})
        conn.execute("LOAD FROM $b MATCH (x:P {k: a}) MATCH (y:P {k: b}) CREATE (x)-[:R {w: w}]->(y)",
                     {"b": pa.table({"a": keys, "b": [f"p{i * 13}" for i in range(BATCH)], "w": list(range(BATCH))})})
    conn.execute("LOAD FROM $b MATCH (x:P {k: k}) SET x.v = v",
                 {"b": pa.table({"k": [f"p{i * 101}" for i in range(BATCH)], "v": [-1 - i for i in range(BATCH)]})})
    start = time.process_time()
    conn.execute("COMMIT")
    print(f"  {mode}: COMMIT {time.process_time() - start:.3f} CPU s; {_files(db)}", flush=True)
    if "kill" in mode:
        os.kill(os.getpid(), signal.SIGKILL)
    start = time.process_time()
    conn.close()
    database.close()
    print(f"  {mode}: close {time.process_time() - start:.3f} CPU s; {_files(db)}", flush=True)


def count(db: Path) -> None:
    start = time.process_time()
    database, conn = _open(db)
    opened = time.process_time() - start

    def scalar(text: str) -> int:
        result = conn.execute(text)
        assert not isinstance(result, list)
        return int(result.get_as_arrow().column(0)[0].as_py())

    print(f"  reopened ({opened:.3f} CPU s): {scalar('MATCH (p:P) RETURN count(p)') - ROWS} new nodes, "
          f"{scalar('MATCH ()-[r:R]->() RETURN count(r)') - ROWS} new relationships, "
          f"{scalar('MATCH (p:P) WHERE p.v < 0 RETURN count(p)')} updated", flush=True)
    conn.close()
    database.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("step", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    db = args.work / "store.lbug"
    if args.step:
        {"setup": lambda: setup(db), "write": lambda: write(db, args.step[1]), "count": lambda: count(db)}[
            args.step[0]]()
        return
    args.work.mkdir(parents=True, exist_ok=True)
    for mode in ("copy", "copy-noauto-noclose", "create", "create-kill", "create-noclose"):
        print(f"{mode}:", flush=True)
        for step in (["setup"], ["write", mode], ["count"]):
            subprocess.run([sys.executable, __file__, "--work", str(args.work), *step], check=False)


if __name__ == "__main__":
    main()
