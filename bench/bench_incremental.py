"""A daily batch through load + ``analyze --incremental`` + alerts, against a full ``analyze`` of the same world.

Builds once (kept in ``--keep DIR`` and reused by later runs): simulates the world, cuts it into a history and
daily batches (``loaders.synthetic.stream``: about ``--batch-traces`` trace rows per batch plus the multiple-sale
and NIBIN rows of those days), loads the history into ``DIR/history.lbug`` and runs the full analysis + write-back
on it (timed; the figures are kept in ``DIR/build.json``). The build runs in a child process, so the measured
process's peak RSS is that of the batches alone.

Each measurement copies ``history.lbug`` to ``DIR/bench.lbug`` and runs, per batch, what ``tracegraph load day``
runs: the load (timed; the day's three files as one transaction, :func:`api.services.daily.load_files`), then
:func:`api.services.daily.after_load` (incremental analysis + alerts + write-back, timed per stage). Prints wall
and CPU seconds (the machine is shared: CPU is the comparable figure), the ratio to the full analysis, peak RSS
and the load average; with ``--fresh`` it then runs ``tracegraph load day`` itself, batch by batch, each in a fresh
process, on a copy of the prepared store, and prints its wall and CPU: the user's figure. ``--full`` re-runs the full
analysis on the same store after the batches. ``--memory`` samples the measuring process's memory every 50 ms in a
thread (``bench/memory_probe.py``), tagged by batch and stage (each file of the load, its COMMIT, the side table's
delta, every analysis stage of both lanes, the alerts, the write back and its COMMIT), and prints per stage the peak
above the open store's baseline by kind (RssAnon, RssFile: the side table's mapped files, the engine's buffer
manager, Arrow's pool, with ``--memory-python`` tracemalloc's Python + numpy: ~2x the CPU) and what the process's
highest VmRSS was made of; the figures also go to ``DIR/memory.json``.

    .venv/bin/python bench/bench_incremental.py --scale national --keep /tmp/ops_nat [--batches 2] [--full] [--fresh]
        [--memory [--memory-python]] [--buffer-pool-mb MB]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from contextlib import ExitStack, nullcontext
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.process_memory import keep_arrow_memory

keep_arrow_memory()  # as `tracegraph load day` runs (api.cli.root.main): before pyarrow is imported

from algorithms import stored_state, straw_member_index
from algorithms.analyze import analyze, write_back
from api.cli.demo import LOADS
from api.services import daily
from api.settings import Settings
from graph.embedded_store import EmbeddedStore
from loaders.base import LoadOptions, run_load
from loaders.day import day_files
from loaders.entities import backfill_person_blocks
from loaders.kinds import loader_for
from loaders.straw_keys import index_all
from loaders.synthetic import simulate
from loaders.synthetic.stream import split

BUFFER_POOL_MB = 2048  # the engine's page cache (its default is most of the RAM, shared here with others)
#: the national world's tables need more than 2 GB of page cache; the 6 GB measured build (docs/performance.md,
#: "National world, measured") ran with 6 GB and 50k-row batches, after the store began reopening the database
#: after each batch (before that, pool memory piled up batch after batch and any cap filled)
SCALE_BUFFER_POOL_MB = {"national": 6144}


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = _clock()
    return round(wall - start[0], 2), round(cpu - start[1], 2)


def _copy_store(source: Path, target: Path, keep_times: bool = False) -> None:
    for stale in target.parent.glob(target.name + "*"):
        if stale.is_dir():
            shutil.rmtree(stale)
        else:
            stale.unlink()
    for part in source.parent.glob(source.name + "*"):
        destination = target.parent / (target.name + part.name[len(source.name):])
        if part.is_dir():
            shutil.copytree(part, destination)
        elif keep_times:  # (the side table's stamp is the store files' times: a copy with new ones deletes it)
            shutil.copy2(part, destination)
        else:
            shutil.copyfile(part, destination)


def _remove_store(target: Path) -> None:
    for part in target.parent.glob(target.name + "*"):
        if part.is_dir():
            shutil.rmtree(part)
        else:
            part.unlink()


def _commands(db: Path, batch_dirs: list[Path], pool_mb: int, work: Path) -> None:
    """What the user's command costs: ``tracegraph load day BATCH`` in a fresh process per batch (the interpreter,
    the command line's imports, the store's open, the load with the analysis' modules imported beside it, the
    incremental analysis, the close and the exit), on a copy of the prepared store, timed from outside."""
    env = {**os.environ, "TRACEGRAPH_DB": str(db), "TRACEGRAPH_BUFFER_POOL_MB": str(pool_mb)}
    root = Path(__file__).resolve().parents[1]
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    for number, batch in enumerate(batch_dirs, start=1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", "import sys; from api.cli import main; sys.exit(main())", "load",
                               "day", str(batch), "--rejects-dir", str(work / "rejects")], env=env, cwd=root,
                              capture_output=True, text=True)
        wall = time.perf_counter() - wall
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        said = [line for line in done.stderr.splitlines() if "alert" in line] or done.stderr.splitlines()[-1:]
        print(f"the command, batch {number}: `tracegraph load day {batch.name}` in a fresh process {wall:.2f} s wall, "
              f"{cpu:.2f} CPU s (exit {done.returncode}: {' '.join(said).strip()}); load average "
              f"{os.getloadavg()[0]:.1f}", flush=True)


READ_ONLY_OPEN = """
import sys, time
from graph.embedded_store import EmbeddedStore
wall, cpu = time.perf_counter(), time.process_time()
with EmbeddedStore(sys.argv[1], buffer_pool_mb=int(sys.argv[2]), read_only=True) as store:
    store.counts()
# VmHWM, not ru_maxrss: Linux carries the parent's peak at the fork into the child's ru_maxrss
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(round(time.perf_counter() - wall, 2), round(time.process_time() - cpu, 2), round(peak / 1024))
"""


def _read_only_open(db: Path, pool_mb: int) -> str:
    """What an API worker's open costs: wall s, CPU s and peak RSS of a process that opens the store read-only
    (replaying the log in memory) and counts it."""
    done = subprocess.run([sys.executable, "-c", READ_ONLY_OPEN, str(db), str(pool_mb)], check=True,
                          capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
    wall, cpu, rss = done.stdout.split()
    return f"{wall} s wall, {cpu} CPU s, peak RSS {rss} MB"


def migrate_copy(store: EmbeddedStore) -> dict[str, int]:
    """What an older history needs before a measured batch: ``tracegraph init``'s migration (the persons' identity
    blocks, the guns' straw lookup keys, then :func:`algorithms.stored_state.migrate`), which leaves nothing for the
    first incremental run to migrate."""
    columns = len(store.migrate())
    return {"columns": columns, "persons_blocked": backfill_person_blocks(store), "straw_keys": index_all(store),
            **stored_state.migrate(store)}


def build(work: Path, scale: str, seed: int, batches: int, batch_traces: int) -> None:
    figures: dict[str, object] = {"scale": scale, "seed": seed, "load_average_start": os.getloadavg()[0]}
    start = _clock()
    if not (work / "world" / "traces.csv").exists():
        simulate(scale, seed, work / "world")
    figures["simulate"] = _since(start)
    start = _clock()
    if not (work / "stream" / f"batch-{batches}" / "nibin_leads.csv").exists():
        split(work / "world", work / "stream", batches=batches, batch_traces=batch_traces)
    figures["split"] = _since(start)
    history = work / "stream" / "history"
    print(f"simulated and split: {figures}", flush=True)
    db = work / "history.lbug"
    for stale in work.glob("history.lbug*"):
        stale.unlink()
    with EmbeddedStore(db, buffer_pool_mb=SCALE_BUFFER_POOL_MB.get(scale, BUFFER_POOL_MB)) as store:
        store.init_schema()
        options = LoadOptions(rejects_dir=work / "rejects")
        start = _clock()
        for kind, name in LOADS:
            run_load(loader_for(kind), store, history / name, options)
        figures["history_load"] = _since(start)
        print(f"history load: {figures['history_load']} s (wall, CPU)", flush=True)
        start = _clock()
        analysis = analyze(store, seed=seed)
        figures["full_analyze"] = _since(start)
        write_back(store, analysis)
        figures["full_analyze_write_back"] = _since(start)
        start = _clock()  # as `tracegraph analyze` ends (api.services.analysis.full_analysis): the log into the file
        store.checkpoint()
        figures["checkpoint"] = _since(start)
        figures["full_stages"] = analysis.timings
        figures["full_stages_cpu"] = analysis.cpu_timings
        counts = store.counts()
        figures["nodes"] = sum(counts["nodes"].values())
        figures["relationships"] = sum(counts["relationships"].values())
    figures["build_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    figures["load_average_end"] = os.getloadavg()[0]
    (work / "build.json").write_text(json.dumps(figures, indent=1, default=str))
    print(f"full analyze + write back (history): {figures['full_analyze_write_back']} s (wall, CPU)", flush=True)


def prepare(store: EmbeddedStore, seed: int, full_cpu: float) -> float:
    """What a copy of the history gets before its measured batches, as `tracegraph init` and the weekly full
    analysis leave a store: the migration, a full analysis when the scoring rules changed (its CPU seconds are
    then the baseline returned instead of ``full_cpu``), the checkpoint and the side table."""
    start = _clock()
    migrated = migrate_copy(store)
    print(f"migration of the copy: {_since(start)} s (wall, CPU); {json.dumps(migrated)}", flush=True)
    pending = stored_state.pending_full_analysis(store)
    if pending:  # e.g. a version that changed the scoring rules: the first analysis is a full one
        start = _clock()
        write_back(store, analyze(store, seed=seed))
        setup = _since(start)
        full_cpu = setup[1]
        print(f"the copy needed a full analysis first ({pending.split(': run')[0]}): full analyze + write "
              f"back {setup} s (wall, CPU), this run's baseline; load average {os.getloadavg()[0]:.1f}",
              flush=True)
    if store.wal_bytes():  # a history built before the build checkpointed, or a full analysis just run:
        # `tracegraph analyze` checkpoints before it writes the side table, so no batch pays for its log
        start = _clock()
        logged = store.checkpoint()
        print(f"checkpoint of the copy ({logged / 1e6:.1f} MB of log), as the full analysis ends: "
              f"{_since(start)} s (wall, CPU)", flush=True)
    start = _clock()  # what the weekly full analysis leaves beside the store (graph/side_table.py)
    rows = straw_member_index.after_full_analysis(store)
    print(f"side table of the copy, as a full analysis writes it: {rows} rows, {_since(start)} s (wall, "
          "CPU)", flush=True)
    return full_cpu


def _probe(stack: ExitStack, store: EmbeddedStore, statements: bool) -> Any:
    """The memory sampler (bench/memory_probe.py) over the open store, its baseline the process now, and the daily
    path's stages (``statements``: and each engine statement) tagged while ``stack`` is open."""
    from memory_probe import Probe, instrument

    probe = stack.enter_context(Probe(interval=0.05, engine=store, frames_every=20))
    stack.enter_context(instrument(statements=statements))
    return probe


def _phase(probe: Any, name: str) -> Any:
    """A tagged phase of the probe's stages, or nothing without ``--memory``."""
    if probe is None:
        return nullcontext()
    from memory_probe import phase

    return phase(name)


def _report_memory(probe: Any, out: Path) -> None:
    print(f"memory by stage, MB above the open store's baseline (peaks; `rise`: the most RssAnon grew within one "
          f"entry of the stage):\n{probe.table()}", flush=True)
    print(f"the process's highest VmRSS, by kind (MB): {json.dumps(probe.by_kind())}; at the baseline: "
          f"{json.dumps(probe.by_kind(probe.baseline))}", flush=True)
    out.write_text(probe.dump())
    import ctypes

    import pyarrow as pa
    from memory_probe import MB, read_status

    before = read_status()["RssAnon"]
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    trimmed = read_status()["RssAnon"]
    pa.default_memory_pool().release_unused()
    released = read_status()["RssAnon"]
    print(f"after the batches: RssAnon {before / MB:.0f} MB; glibc's freed memory given back (malloc_trim) "
          f"{(before - trimmed) / MB:.0f} MB, Arrow's (release_unused) {(trimmed - released) / MB:.0f} MB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="state", choices=("small", "state", "national"))
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--batch-traces", type=int, default=2000)
    parser.add_argument("--batches", type=int, default=2)
    parser.add_argument("--keep", type=Path, default=None, help="build here once and reuse it")
    parser.add_argument("--full", action="store_true", help="also re-run the full analysis after the batches")
    parser.add_argument("--reopen", action="store_true",
                        help="after each batch, time a read-only open (another process, as the API's workers) and "
                             "the writable reopen: each replays the write-ahead log since the last checkpoint")
    parser.add_argument("--checkpoint", action="store_true",
                        help="after the batches, time the checkpoint `tracegraph store checkpoint` runs")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--prepare-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--fresh", action="store_true",
                        help="prepare the copy (migration, checkpoint, side table) in another process, so that "
                             "batch 1 is a fresh process's first run, as `tracegraph load day` from cron runs it "
                             "(without it, batch 1 follows the side table's build in the same process)")
    parser.add_argument("--command", action=argparse.BooleanOptionalAction, default=True,
                        help="with --fresh: after the batches, run `tracegraph load day` itself on a copy of the "
                             "prepared store, batch by batch, each in a fresh process, and print its wall and CPU "
                             "seconds: the figure a user sees (the measured batches start with the analysis' "
                             "modules imported, the store open, and leave the close and the exit out)")
    parser.add_argument("--buffer-pool-mb", type=int, default=None,
                        help="the engine's page cache for the batches (default: 6144 at national, else 2048): "
                             "what a batch needs when the cache is small")
    parser.add_argument("--memory", action="store_true",
                        help="sample the process's memory by stage and kind (bench/memory_probe.py): printed after "
                             "the batches and written to DIR/memory.json")
    parser.add_argument("--memory-python", action="store_true",
                        help="with --memory: also trace Python's and numpy's allocations (tracemalloc; ~2x the CPU)")
    parser.add_argument("--memory-statements", action="store_true",
                        help="with --memory: also tag each engine statement (`stmt:` and its first words)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="tracegraph-incremental-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.build_only:
        build(work, args.scale, args.seed, args.batches, args.batch_traces)
        return
    if args.prepare_only:
        built = json.loads((work / "build.json").read_text())
        with EmbeddedStore(work / "bench.lbug", buffer_pool_mb=args.buffer_pool_mb) as store:
            full_cpu = prepare(store, args.seed, float(built["full_analyze_write_back"][1]))
        (work / "prepared.json").write_text(json.dumps({"full_cpu": full_cpu}))
        return
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start", flush=True)
    try:
        if not (work / "build.json").exists():
            subprocess.run([sys.executable, __file__, "--build-only", "--keep", str(work), "--scale", args.scale,
                            "--seed", str(args.seed), "--batches", str(args.batches),
                            "--batch-traces", str(args.batch_traces)], check=True)
        built = json.loads((work / "build.json").read_text())
        print(f"world: {built['nodes']:,} nodes, {built['relationships']:,} relationships after the history; "
              f"history load {built['history_load']}, full analyze + write back "
              f"{built['full_analyze_write_back']} s (wall, CPU), measured at the build", flush=True)
        full_cpu = float(built["full_analyze_write_back"][1])
        start = _clock()
        _copy_store(work / "history.lbug", work / "bench.lbug")
        print(f"copy of the history store: {_since(start)}", flush=True)
        batch_dirs = sorted((work / "stream").glob("batch-*"), key=lambda p: int(p.name.split("-")[1]))
        options = LoadOptions(rejects_dir=work / "rejects")
        pool_mb = args.buffer_pool_mb or SCALE_BUFFER_POOL_MB.get(args.scale, BUFFER_POOL_MB)
        print(f"page cache for the batches: {pool_mb} MB", flush=True)
        if args.fresh:  # the copy prepared by another process: batch 1 is the first run of this one, as cron's
            subprocess.run([sys.executable, __file__, "--prepare-only", "--keep", str(work), "--seed", str(args.seed),
                            "--buffer-pool-mb", str(pool_mb)], check=True)
            full_cpu = json.loads((work / "prepared.json").read_text())["full_cpu"]
            if args.command:
                _copy_store(work / "bench.lbug", work / "command.lbug", keep_times=True)
        # the copy's and the side table's ~3 GB of unwritten pages go to disk now, not during batch 1 (a cron day
        # does not start right after a copy of the store: the kernel's write back took ~10 s of batch 1's wall)
        os.sync()
        if args.memory_python:
            tracemalloc.start()
        with EmbeddedStore(work / "bench.lbug", buffer_pool_mb=pool_mb) as store, ExitStack() as measured:
            probe = _probe(measured, store, args.memory_statements) if args.memory else None
            # a history built by an older version: what `tracegraph init` does to it (new columns, Person blocks
            # and their links) and the stored analysis state the first incremental run would otherwise compute
            # (the per-address keys, dealer counts, network sums, serial groups), so a measured batch never includes one
            if not args.fresh:
                full_cpu = prepare(store, args.seed, full_cpu)
            config = Settings(db=work / "bench.lbug")  # the environment's settings, as `tracegraph load day` reads
            for number, batch in enumerate(batch_dirs, start=1):
                start = _clock()  # what `tracegraph load day BATCH` runs: the load, then the incremental analysis
                with _phase(probe, f"batch{number}"), _phase(probe, "load"):
                    files = day_files(batch)
                    reports = daily.load_files(store, files, options, one_transaction=True,
                                               analysis_follows=daily.analysis_may_follow(store, files, "incremental"))
                rows = sum(report.loaded for report in reports)
                loaded = _since(start)
                start = _clock()
                with _phase(probe, f"batch{number}"), _phase(probe, "analysis"):
                    result, not_analysed = daily.after_load(store, config, "incremental")
                if result is None:
                    raise SystemExit(f"batch {number}: {not_analysed}")
                raised = result["alerts"]
                incremental = _since(start)
                total = (round(loaded[0] + incremental[0], 2), round(loaded[1] + incremental[1], 2))
                print(f"batch {number} ({rows:,} rows): load {loaded}, incremental + alerts + write back "
                      f"{incremental}, together {total} s (wall, CPU) = {total[1] / full_cpu:.1%} of the full "
                      f"analysis' CPU; {raised} alerts", flush=True)
                print(f"  stages, wall (s): {json.dumps(result['timings'], sort_keys=True)}", flush=True)
                print(f"  stages, CPU (s): {json.dumps(result['cpu_timings'], sort_keys=True)}; load average "
                      f"{os.getloadavg()[0]:.1f}", flush=True)
                print(f"  summary: {json.dumps(result['summary'], sort_keys=True, default=str)}", flush=True)
                print(f"  write-ahead log {store.wal_bytes() / 1e6:.1f} MB after the batch; peak RSS so far "
                      f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB", flush=True)
                if args.reopen:
                    store.close()
                    print(f"  read-only open + one count, another process: {_read_only_open(store.path, pool_mb)}",
                          flush=True)
                    start = _clock()
                    store._reopen()
                    print(f"  writable reopen (replays the log): {_since(start)} s (wall, CPU)", flush=True)
            if probe is not None:
                _report_memory(probe, work / "memory.json")
                measured.close()
            print(f"peak RSS of the measuring process after the batches "
                  f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; load average "
                  f"{os.getloadavg()[0]:.1f}", flush=True)
            if args.checkpoint:
                start = _clock()
                logged = store.checkpoint()
                print(f"checkpoint of {logged / 1e6:.1f} MB of log: {_since(start)} s (wall, CPU); load average "
                      f"{os.getloadavg()[0]:.1f}", flush=True)
                if args.reopen:
                    store.close()
                    print(f"  then a read-only open + one count: {_read_only_open(store.path, pool_mb)}", flush=True)
                    store._reopen()
            if args.full:
                start = _clock()
                analysis = analyze(store, seed=args.seed)
                write_back(store, analysis)
                print(f"full analyze + write back (same store, after the batches): {_since(start)} s (wall, CPU); "
                      f"load average {os.getloadavg()[0]:.1f}", flush=True)
                print(f"  stages, wall (s): {json.dumps(analysis.timings, sort_keys=True)}", flush=True)
                print(f"  stages, CPU (s): {json.dumps(analysis.cpu_timings, sort_keys=True)}", flush=True)
        print(f"peak RSS of the measuring process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} "
              f"MB; load average {os.getloadavg()[0]:.1f} at end", flush=True)
        if args.fresh and args.command:
            _commands(work / "command.lbug", batch_dirs, pool_mb, work)
            _remove_store(work / "command.lbug")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
