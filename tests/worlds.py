"""Simulated worlds and loaded stores built once per test session, keyed by what they are built from, and shared
by every test folder that asks for the same one (tests/services, tests/web, tests/reports, tests/matching, ...).

Simulating, loading and analysing the small world costs about 15 CPU seconds; five folders used to build the same
one. A build lands in a folder of the session's base temporary directory (under pytest-xdist, the folder all workers
share, behind a file lock: one worker builds, the others wait and reuse). What is built is a template: never open it
for writing; :func:`copy_store` gives a test its own copy.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import pickle
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from api.cli.demo import LOADS  # what `tracegraph demo` loads from a simulated world
from graph.embedded_writes import copy_store_files
from loaders.synthetic.stream import Stream, split

Loads = Sequence[tuple[str, str | Path]]  # (loader kind, file: a name inside the simulated world, or a path)

DATA = Path(__file__).resolve().parent / "data"
DEMO_LOADS: Loads = LOADS
# real public files: Virginia FFL list excerpts, ATF inspection reports, ATF's 2013 and 2016 state source-recovery
# tables, UCR hotspots (tests/data/PROVENANCE.md)
PUBLIC_LOADS: Loads = (("ffl", DATA / "loaders" / "0125-ffl-list-va-excerpt.txt"),
                       ("ffl", DATA / "loaders" / "0225-ffl-list-va-excerpt.txt"),
                       ("inspections", DATA / "loaders" / "atf_inspections_2015_2017_excerpt.ndjson"),
                       ("state-traces", DATA / "loaders" / "final_source_recovery_by_state-cy_2013.xlsx"),
                       ("state-traces", DATA / "loaders" / "final_source_recovery_by_state-cy_2016.xlsx"),
                       ("hotspots", DATA / "loaders" / "hotspots.csv"))


@dataclass(frozen=True)
class Built:
    """A loaded (and, if asked, analysed) store template, the simulated inputs it came from, and the run id."""

    db: Path
    inputs: Path | None
    run_id: str | None

    @property
    def truth(self) -> dict[str, Any]:
        assert self.inputs is not None, "a store of public files has no simulated truth"
        truth: dict[str, Any] = json.loads((self.inputs / "truth.json").read_text(encoding="utf-8"))
        return truth


def _shared_root(factory: pytest.TempPathFactory) -> Path:
    base = factory.getbasetemp()
    # under pytest-xdist each worker has its own base (.../popen-gw0); their parent is the run's, shared by all
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "shared-worlds"
    root.mkdir(exist_ok=True)
    return root


@contextmanager
def built_once(factory: pytest.TempPathFactory, key: str) -> Iterator[tuple[Path, bool]]:
    """Yield (folder, needs building) for ``key`` while holding its lock; a folder is marked done after a build."""
    root = _shared_root(factory)
    folder = root / hashlib.sha256(key.encode()).hexdigest()[:16]
    with open(root / f"{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            done = folder / ".done"
            if not done.exists():
                shutil.rmtree(folder, ignore_errors=True)  # a build that failed half-way
                folder.mkdir()
                yield folder, True
                done.write_text(key, encoding="utf-8")
            else:
                yield folder, False
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def simulated(factory: pytest.TempPathFactory, scale: str = "small", seed: int = 7) -> Path:
    """The folder ``tracegraph simulate --scale scale --seed seed`` writes (read it; do not write into it)."""
    with built_once(factory, f"simulate {scale} {seed}") as (folder, build):
        if build:
            from loaders.synthetic import simulate

            simulate(scale, seed, folder / "inputs")
    return folder / "inputs"


def loaded(factory: pytest.TempPathFactory, loads: Loads = LOADS, *, world: tuple[str, int] | None = ("small", 7),
           analyse_seed: int | None = 7) -> Built:
    """A store with ``loads`` run through the loaders (``run_load``, as the services do) from the simulated
    ``world`` (scale, seed) or from the paths given (``world=None``), then analysed with ``analyse_seed``, written
    back and checkpointed as a full ``tracegraph analyze`` leaves it (``None``: not analysed, the loads' commits
    left in the write-ahead log as a load leaves them). Copy ``db`` with :func:`copy_store` before writing to it."""
    inputs = simulated(factory, *world) if world else None
    key = json.dumps({"world": world, "loads": [(k, str(p)) for k, p in loads], "seed": analyse_seed})
    with built_once(factory, key) as (folder, build):
        if build:
            from algorithms.analyze import analyze, write_back
            from graph.embedded_store import EmbeddedStore
            from loaders.base import LoadOptions, run_load
            from loaders.kinds import loader_for

            run_id = None
            with EmbeddedStore(folder / "graph.lbug") as store:
                store.init_schema()
                for kind, name in loads:
                    path = inputs / name if inputs is not None else Path(name)
                    run_load(loader_for(kind), store, path, LoadOptions(rejects_dir=folder / "rejects"))
                if analyse_seed is not None:
                    started = datetime.now(UTC)
                    result = analyze(store, seed=analyse_seed)
                    write_back(store, result, started_at=started)
                    run_id = result.run_id
                    # as a full `tracegraph analyze` (and so `tracegraph demo`) ends (api.services.analysis): the
                    # load's write-ahead log written into the file. Left in the log, every open of every copy
                    # replayed the whole world (63 MB: ~3.6 CPU s an open, where a checkpointed one takes 0.14)
                    store.checkpoint()
            (folder / "run.json").write_text(json.dumps({"run_id": run_id}), encoding="utf-8")
    run_id = json.loads((folder / "run.json").read_text(encoding="utf-8"))["run_id"]
    return Built(folder / "graph.lbug", inputs, run_id)


def copy_store(template: Path, to: Path) -> Path:
    """A copy of a closed store for one test (or fixture) to own; ``to`` is the new file's path. The store's
    write-ahead log (``NAME.wal``) is copied with it: a day's commits stay there until a checkpoint."""
    to.parent.mkdir(parents=True, exist_ok=True)
    return copy_store_files(template, to)


def copy_store_whole(template: Path, to: Path) -> Path:
    """A copy of a closed store with every part beside it (``NAME.lbug``, ``.wal``, the side table ``.side/``, the
    run records ``.runs/``), modification times kept: the side table is current only at its store's stamp (the
    file's and the log's size and mtime, :func:`graph.side_table.stamp`), which :func:`copy_store` moves (the copy
    then reads the engine)."""
    to.parent.mkdir(parents=True, exist_ok=True)
    for part in sorted(template.parent.glob(template.name + "*")):
        target = to.with_name(to.name + part.name[len(template.name):])
        if part.is_dir():
            shutil.copytree(part, target, copy_function=shutil.copy2)
        else:
            shutil.copy2(part, target)
    return to


def built_value(factory: pytest.TempPathFactory, key: str, build: Callable[[Path], Any]) -> tuple[Path, Any]:
    """``build(folder)``'s value, built once a session (:func:`built_once`) and pickled in its folder for the other
    workers and modules: (folder, value). A build that writes a store there leaves it as a template."""
    with built_once(factory, key) as (folder, needs_building):
        if needs_building:
            value = build(folder)
            with open(folder / "value.pkl", "wb") as handle:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
            return folder, value
    with open(folder / "value.pkl", "rb") as handle:
        return folder, pickle.load(handle)


def clean_load_counts(factory: pytest.TempPathFactory, seed: int = 11) -> dict[str, dict[str, int]]:
    """What one uninterrupted ``tracegraph init`` + ``tracegraph load traces --batch-rows 1000`` of the small
    simulated world's traces leaves in a new store: its counts (``stats --json``, every label and type). The
    reference an interrupted, killed or disk-full load is re-run to (tests/loaders/test_interrupted_load.py,
    test_disk_full.py), built once a session instead of once per test (~5 CPU s a load)."""
    from tests.cli_run import tracegraph

    world = simulated(factory, "small", seed)

    def build(folder: Path) -> dict[str, dict[str, int]]:
        db = folder / "clean.lbug"
        assert tracegraph("--db", db, "init").returncode == 0
        loaded = tracegraph("--db", db, "load", "traces", world / "traces.csv", "--rejects-dir", folder / "rejects",
                            "--batch-rows", "1000")
        assert loaded.returncode == 0, loaded.stderr[-2000:]
        shown = tracegraph("--db", db, "stats", "--json")
        assert shown.returncode == 0, shown.stderr[-2000:]
        counts: dict[str, dict[str, int]] = json.loads(shown.stdout)
        return counts

    return built_value(factory, f"clean traces load small {seed}", build)[1]


def demo(factory: pytest.TempPathFactory) -> Built:
    """The small simulated world (seed 7) loaded as `tracegraph demo` loads it, analysed with seed 7."""
    return loaded(factory, DEMO_LOADS, world=("small", 7), analyse_seed=7)


def public(factory: pytest.TempPathFactory) -> Built:
    """The real public files (PUBLIC_LOADS) loaded and analysed with seed 7."""
    return loaded(factory, PUBLIC_LOADS, world=None, analyse_seed=7)


@dataclass(frozen=True)
class History:
    """A simulated world cut into a history and daily batches (``loaders.synthetic.stream.split``), and a store
    template with the history loaded (not analysed): the start of every streamed test."""

    stream: Stream
    db: Path
    analysis: Path | None = None  # :func:`analysed_history`: its full analysis (an AnalysisResult), pickled

    def full_analysis(self) -> Any:
        """The :class:`algorithms.analyze.AnalysisResult` the history was analysed with (read anew each call)."""
        assert self.analysis is not None, "the history was not analysed"
        with open(self.analysis, "rb") as handle:
            return pickle.load(handle)


def streamed_history(factory: pytest.TempPathFactory, scale: str = "small", seed: int = 3, *, batches: int = 3,
                     batch_traces: int = 100) -> History:
    """The world ``simulated(scale, seed)`` split into ``batches`` of about ``batch_traces`` traces, with the
    history loaded as `tracegraph demo` loads a world. Copy ``db`` with :func:`copy_store` before writing to it."""
    world = simulated(factory, scale, seed)
    key = f"stream {scale} {seed} {batches} {batch_traces}"
    with built_once(factory, key) as (folder, build):
        if build:
            from graph.embedded_store import EmbeddedStore
            from loaders.base import LoadOptions, run_load
            from loaders.kinds import loader_for

            stream = split(world, folder / "stream", batches=batches, batch_traces=batch_traces)
            with EmbeddedStore(folder / "history.lbug") as store:
                store.init_schema()
                for kind, name in LOADS:
                    run_load(loader_for(kind), store, stream.history / name,
                             LoadOptions(rejects_dir=folder / "rejects"))
                # the history's loads written into the file (as a full analyze or `tracegraph store checkpoint`
                # leaves a history): left in the log, every open of every copy replayed the 47 MB log (3.3 CPU s
                # an open; 0.13 checkpointed). The days after it go to the log as a daily load's do
                store.checkpoint()
            (folder / "stream.json").write_text(json.dumps(
                {"history": str(stream.history), "batches": [str(b) for b in stream.batches], "days": stream.days}),
                encoding="utf-8")
    saved = json.loads((folder / "stream.json").read_text(encoding="utf-8"))
    stream = Stream(Path(saved["history"]), [Path(b) for b in saved["batches"]],
                    [(first, last) for first, last in saved["days"]])
    return History(stream, folder / "history.lbug")


def analysed_day_store(factory: pytest.TempPathFactory, to: Path) -> History:
    """A copy at ``to`` of the small streamed history (seed 3, three batches of ~100 traces), fully analysed,
    checkpointed and with its side table: where a day's load and incremental analysis start
    (``bench/bench_batch_memory.py``, ``bench/memory_analysis.py``)."""
    from algorithms import straw_member_index
    from graph.embedded_store import EmbeddedStore

    history = analysed_history(factory, "small", 3, batches=3, batch_traces=100)  # analysed and checkpointed
    copy_store(history.db, to)
    with EmbeddedStore(to) as store:
        straw_member_index.after_full_analysis(store)
    return history


def analysed_history(factory: pytest.TempPathFactory, scale: str = "small", seed: int = 3, *, batches: int = 3,
                     batch_traces: int = 100) -> History:
    """:func:`streamed_history` with the history's full analysis written back (``write_back(store,
    analyze(store))``) and checkpointed, as a full ``tracegraph analyze`` leaves it: built once per session for the
    modules that start from an analysed history, each of which used to run the same full analysis (~8 CPU s).
    Copy ``db`` with :func:`copy_store` before writing to it."""
    history = streamed_history(factory, scale, seed, batches=batches, batch_traces=batch_traces)
    with built_once(factory, f"analysed stream {scale} {seed} {batches} {batch_traces}") as (folder, build):
        if build:
            from algorithms.analyze import analyze, write_back
            from graph.embedded_store import EmbeddedStore

            with EmbeddedStore(copy_store(history.db, folder / "analysed.lbug")) as store:
                result = analyze(store)
                write_back(store, result)
                store.checkpoint()  # as a full `tracegraph analyze` ends (api.services.analysis)
            with open(folder / "analysis.pkl", "wb") as handle:  # (for a module that compares with it)
                pickle.dump(result, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return History(history.stream, folder / "analysed.lbug", folder / "analysis.pkl")
