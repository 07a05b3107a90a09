"""A daily batch's memory by stage, on histories of different sizes: is it bounded by the batch or the history?

Each run copies a prepared history store (``cp -a``: the side table stays current) and, in a fresh process, opens
it with a fixed engine page cache, takes the process's memory as the baseline, then runs what ``tracegraph load
day`` runs: the day's files loaded in one transaction (:func:`api.services.daily.load_files`), then the incremental
analysis + alerts + write back (:func:`api.services.daily.after_load`). ``bench/memory_probe.py`` samples the
process's memory every 20 ms, tagged by stage (each file, each COMMIT, the side table's delta, each analysis stage,
the write back; ``--writes``: each store write too). Prints, per stage, the peak RssAnon / RssFile / VmRSS above
the baseline (MB) for each history, and the ratio of the last history's to the first's.

    # a history built by bench_incremental.py (--keep DIR) made ready once: migrated, checkpointed, side table
    .venv/bin/python bench/bench_batch_memory.py prepare /tmp/me/state/history.lbug /tmp/me/state/base.lbug
    # one fresh process per (history, page cache); the batch is a day of that history's own stream
    .venv/bin/python bench/bench_batch_memory.py run state=/tmp/me/state/base.lbug:/tmp/me/state/stream/batch-1 \\
        national=/tmp/nat10/base.lbug:/tmp/nat10/stream/batch-1 --work /tmp/me/mem --pools 1024 512
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

NATIONAL_LOCK = Path("/tmp/national.lock")


def copy_store(source: Path, target: Path) -> None:
    """Every part of ``source`` (the file, its log, side table, stamps) to ``target``, times kept (``cp -a``)."""
    for stale in target.parent.glob(target.name + "*"):
        subprocess.run(["rm", "-rf", str(stale)], check=True)
    for part in sorted(source.parent.glob(source.name + "*")):
        subprocess.run(["cp", "-a", str(part), str(target.parent / (target.name + part.name[len(source.name):]))],
                       check=True)


def prepare(history: Path, base: Path, pool_mb: int) -> None:
    """What a measured batch needs first, once (as /tmp/lead17/prep.py made /tmp/nat10/base.lbug): the copy
    migrated (bench_incremental.migrate_copy), its log checkpointed, its side table written."""
    from bench_incremental import migrate_copy

    from algorithms import straw_member_index
    from graph.embedded_store import EmbeddedStore

    copy_store(history, base)
    with EmbeddedStore(base, buffer_pool_mb=pool_mb) as store:
        print("migrated:", migrate_copy(store), flush=True)
        if store.wal_bytes():
            store.checkpoint()
        print("side table rows:", straw_member_index.after_full_analysis(store), flush=True)


NODE_GROUP = 131_072  # LadybugDB's nodes per node group (StorageConfig::NODE_GROUP_SIZE)


@contextmanager
def relationship_rows() -> Iterator[list[tuple[str, str, str, list[str], list[str]]]]:
    """Inside: every relationship row the store creates, as (type, from label, to label, from keys, to keys)."""
    from graph.embedded_store import EmbeddedStore
    from graph.store import FROM_KEY, TO_KEY

    seen: list[tuple[str, str, str, list[str], list[str]]] = []
    original = EmbeddedStore._copy_rels

    def recorded(store: Any, rel: Any, from_label: str, to_label: str, rows: Any) -> None:
        seen.append((rel.name, from_label, to_label, rows.column(FROM_KEY).to_pylist(),
                     rows.column(TO_KEY).to_pylist()))
        original(store, rel, from_label, to_label, rows)

    EmbeddedStore._copy_rels = recorded  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        EmbeddedStore._copy_rels = original  # type: ignore[method-assign]


def node_groups(store: Any, rows: list[tuple[str, str, str, list[str], list[str]]]) -> dict[str, int]:
    """How many (relationship type, direction, node group) ``rows`` touch, by "TYPE fwd|bwd": the engine keeps
    ~4 MB for each until its next checkpoint (docs/performance.md, memload20's section)."""
    touched: set[tuple[str, str, str, int]] = set()
    for name, from_label, to_label, from_keys, to_keys in rows:
        for label, keys, direction in ((from_label, from_keys, "fwd"), (to_label, to_keys, "bwd")):
            for offset in store.node_offsets(label, keys):
                touched.add((name, direction, label, offset // NODE_GROUP))
    counted: dict[str, int] = {}
    for name, direction, _label, _group in sorted(touched):
        counted[f"{name} {direction}"] = counted.get(f"{name} {direction}", 0) + 1
    return counted


def measure(store_path: Path, batch: Path, pool_mb: int, work: Path, writes: bool, statements: bool = False,
            groups: bool = False) -> dict[str, object]:
    """One batch, in this process: load + incremental analysis, memory by stage (the probe's rows and timeline:
    each stage's begin and end with the memory then)."""
    from memory_probe import Probe, instrument, phase

    from api.services import daily
    from api.settings import Settings
    from graph.embedded_store import EmbeddedStore
    from loaders.base import LoadOptions
    from loaders.day import day_files

    options = LoadOptions(rejects_dir=work / "rejects")
    started = time.perf_counter(), time.process_time()
    with EmbeddedStore(store_path, buffer_pool_mb=pool_mb) as store, Probe(engine=store) as probe, \
            instrument(writes=writes, statements=statements):
        probe.set_baseline()
        with phase("load"), relationship_rows() if groups else nullcontext([]) as written:
            reports = daily.load_files(store, day_files(batch), options, one_transaction=True)
        touched = node_groups(store, written) if groups else {}
        if groups:
            print(f"the load's relationships touch {sum(touched.values())} (type, direction, node group): "
                  f"{json.dumps(touched)}", flush=True)
        with phase("analysis"):
            result, why_not = daily.after_load(store, Settings(db=store_path), "incremental")
        if result is None:
            raise SystemExit(f"not analysed: {why_not}")
        rows = probe.rows()
        print(probe.table(), flush=True)
    return {"rows": rows, "timeline": probe.timeline, "node_groups": touched,
            "baseline_mb": {k: round(v / 2**20) for k, v in probe.baseline.items()},
            "loaded": sum(r.loaded for r in reports), "alerts": result["alerts"], "pool_mb": pool_mb,
            "wall": round(time.perf_counter() - started[0], 2), "cpu": round(time.process_time() - started[1], 2),
            "load_average": os.getloadavg()[0]}


def combined(runs: dict[str, dict[str, object]]) -> str:
    """Per stage and run, the peak RssAnon / RssFile / VmRSS above the baseline, the stage's own rise (the most
    RssAnon rose within one entry) and the engine's buffer manager's count above the baseline (its page cache),
    MB; the last run's / the first's where both are > 0."""
    names = list(runs)
    order: list[str] = []
    for run in runs.values():
        for row in run["rows"]:  # type: ignore[attr-defined]
            if row["stage"] not in order:
                order.append(row["stage"])
    by = {name: {row["stage"]: row for row in run["rows"]} for name, run in runs.items()}  # type: ignore[attr-defined]
    head = ["stage", *[f"{n} {c}" for n in names for c in ("anon", "file", "rss", "rise", "engine")],
            f"{names[-1]}/{names[0]} anon", "rss"]
    lines = [" | ".join(head), " | ".join(["---"] + ["---:"] * (len(head) - 1))]
    for stage in order:
        cells = [stage]
        for name in names:
            row = by[name].get(stage)
            cells += ["" if row is None else f"{row[key]:.0f}" for key in ("RssAnon", "RssFile", "VmRSS",
                                                                             "rise_RssAnon", "engine")]
        first, last = by[names[0]].get(stage), by[names[-1]].get(stage)
        for key in ("RssAnon", "VmRSS"):
            cells.append(f"{last[key] / first[key]:.1f}" if first and last and first[key] > 0 and last[key] > 0
                         else "")
        lines.append(" | ".join(cells))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    prep = sub.add_parser("prepare", help="a history made ready for measured batches (once)")
    prep.add_argument("history", type=Path)
    prep.add_argument("base", type=Path)
    prep.add_argument("--buffer-pool-mb", type=int, default=2048)
    run = sub.add_parser("run", help="measure: one fresh process per history and page cache")
    run.add_argument("worlds", nargs="+", help="NAME=BASE_STORE:BATCH_DIR, smallest history first")
    run.add_argument("--work", type=Path, required=True, help="the store copies and results go here")
    run.add_argument("--pools", type=int, nargs="+", default=[1024])
    run.add_argument("--writes", action="store_true", help="tag each store write as a stage too")
    run.add_argument("--statements", action="store_true", help="tag each engine statement as a stage too")
    run.add_argument("--groups", action="store_true",
                     help="count the (relationship type, direction, node group) the load's new relationships touch "
                          "(read after the load: the analysis' figures then include the pages it read)")
    run.add_argument("--keep-copy", action="store_true", help="leave the last copy in --work")
    one = sub.add_parser("one", help=argparse.SUPPRESS)  # the fresh process of a run
    one.add_argument("store", type=Path)
    one.add_argument("batch", type=Path)
    one.add_argument("out", type=Path)
    one.add_argument("--buffer-pool-mb", type=int, required=True)
    one.add_argument("--writes", action="store_true")
    one.add_argument("--statements", action="store_true")
    one.add_argument("--groups", action="store_true")
    show = sub.add_parser("table", help="the combined table of earlier runs' JSON files")
    show.add_argument("results", type=Path, nargs="+")
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(args.history, args.base, args.buffer_pool_mb)
    elif args.command == "one":
        figures = measure(args.store, args.batch, args.buffer_pool_mb, args.out.parent, args.writes, args.statements,
                          args.groups)
        args.out.write_text(json.dumps(figures))
    elif args.command == "table":
        runs = {path.stem: json.loads(path.read_text()) for path in args.results}
        print(combined(runs))
    else:
        args.work.mkdir(parents=True, exist_ok=True)
        print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
        for pool in args.pools:
            runs: dict[str, dict[str, object]] = {}
            for world in args.worlds:
                name, _, paths = world.partition("=")
                base, _, batch = paths.partition(":")
                copy = args.work / "run.lbug"
                copy_store(Path(base), copy)
                out = args.work / f"{name}-{pool}.json"
                command = [sys.executable, __file__, "one", str(copy), batch, str(out), "--buffer-pool-mb", str(pool),
                           *(["--writes"] if args.writes else []), *(["--statements"] if args.statements else []),
                           *(["--groups"] if args.groups else [])]
                print(f"== {name}, page cache {pool} MB", flush=True)
                with open(NATIONAL_LOCK, "w") if name == "national" else nullcontext() as held:
                    if held is not None:
                        fcntl.flock(held, fcntl.LOCK_EX)
                    subprocess.run(command, check=True)
                runs[name] = json.loads(out.read_text())
                print(f"   {runs[name]['loaded']} rows loaded, {runs[name]['alerts']} alerts, "
                      f"{runs[name]['wall']} s wall, {runs[name]['cpu']} CPU s, load average "
                      f"{runs[name]['load_average']:.1f}; baseline {runs[name]['baseline_mb']} MB", flush=True)
            print(f"\npeak above the baseline, MB (page cache {pool} MB):", flush=True)
            print(combined(runs), flush=True)
            if not args.keep_copy:
                for stale in args.work.glob("run.lbug*"):
                    subprocess.run(["rm", "-rf", str(stale)], check=True)


if __name__ == "__main__":
    main()
