"""The keys each load run wrote, recorded beside the embedded store (``NAME.lbug.runs/RUN/``), so the incremental
analysis finds a day's new rows by key instead of scanning the whole ``load_run_id`` columns (which grow with the
history): :func:`algorithms.incremental._seeds`.

What is recorded: for every upsert of :data:`LABELS` (a node's key) or :data:`RELATIONSHIPS` (both ends) whose rows
carry a ``load_run_id``, the keys of each run named, as one Arrow file per upsert and run, written **before** the
upsert runs. So a run's record holds every key the run wrote (a rolled-back write leaves keys that are not in the
store, or not the run's any more: harmless, since the record is only read through a keyed statement that keeps the
nodes whose stored ``load_run_id`` is still one of the runs asked for; that is exactly what the scan returns).

When a record is trusted (:func:`keys_of`), and why it can never miss a key:

* A run's record is begun (its folder emptied and marked ``begun``) by :func:`begin`, which
  :func:`loaders.base.run_load` calls before the run writes anything, when the store holds no ``LoadRun`` of it yet.
  The process that began it records the run's writes; any other write naming the run (a resumed or repeated load
  of the same file: its ``LoadRun`` is stored already; a write in a process that did not begin the run, or before
  it began it) deletes the run's record, and the run is then found by the scan.
* A store loaded before this module existed (or by Neo4j, or a run without a record for any reason) has no record
  of its runs: :func:`keys_of` returns None and the caller scans, as before. It never sees nothing for lack of a
  record.
* No Cypher statement sets ``load_run_id`` (``tests/graph/test_run_keys.py`` checks the statements): only the
  upserts write it.
* A statement that deletes rows (a retention purge, a correction's dropped links, the analysis' clears) deletes
  every record first, so no key of a purged person outlives the purge here.
* Records of runs an analysis has taken in are deleted by the incremental analysis' write back (:func:`prune`; a full
  analysis' clears delete them all): the folder holds the keys of the runs not yet analysed, a day's worth.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc

from graph.store import FROM_KEY, TO_KEY, companion, to_arrow
from graph.write_following import Write

if TYPE_CHECKING:
    from graph.embedded_store import EmbeddedStore

RUN = "load_run_id"
#: the nodes whose new rows the incremental analysis asks for -> their key
LABELS = {"Person": "person_key", "Recovery": "trace_id", "Firearm": "firearm_key", "TheftReport": "report_id"}
#: the relationships likewise (recorded with both ends)
RELATIONSHIPS = frozenset({"NIBIN_LINK"})
BEGUN = "begun"
_parts = itertools.count()


def folder(store: Path) -> Path:
    """Where a store's run records live: ``NAME.lbug.runs/`` beside the file."""
    return store.with_name(store.name + ".runs")


def _run_folder(store: Path, run: str) -> Path:
    return folder(store) / run.replace("/", "_")


class Recorder:
    """An embedded store's writes of run ids, as the run records see them (a follower of
    :mod:`graph.write_following`)."""

    def __init__(self, store: Path) -> None:
        self.path = store
        self.begun: set[str] = set()  # runs begun in this process before their first write: records whole
        self.lost: set[str] = set()  # runs written here while not begun: never begun in this process

    def begin(self, run: str) -> None:
        where = _run_folder(self.path, run)
        shutil.rmtree(where, ignore_errors=True)
        if run in self.lost:
            return
        try:
            where.mkdir(parents=True)
            (where / BEGUN).touch()
        except OSError:
            return
        self.begun.add(run)

    def forget(self, run: str) -> None:
        self.begun.discard(run)
        self.lost.add(run)
        shutil.rmtree(_run_folder(self.path, run), ignore_errors=True)

    def forget_all(self) -> None:
        self.lost |= self.begun
        self.begun.clear()
        shutil.rmtree(folder(self.path), ignore_errors=True)

    def note(self, name: str, keys: pa.Table) -> None:
        """``keys``: the run id and the key column(s) of an upsert's rows of ``name`` (a label or a type), written
        before the upsert."""
        runs = pc.unique(pc.drop_null(keys.column(RUN))).to_pylist()
        for run in runs:
            where = _run_folder(self.path, run)
            if run not in self.begun or not (where / BEGUN).exists():  # (pruned or deleted since it was begun)
                self.forget(run)
                continue
            mine = keys.filter(pc.equal(keys.column(RUN), run)).drop_columns([RUN])
            part = where / f"{name}.{os.getpid()}.{next(_parts)}.arrow"
            temporary = part.with_suffix(".tmp")
            try:
                with ipc.new_file(temporary, mine.schema) as out:
                    out.write_table(mine)
                os.replace(temporary, part)
            except OSError:  # no record then (the run is found by the scan), never a failed load
                self.forget(run)

    def before(self, store: EmbeddedStore, write: Write) -> Callable[[Any], None] | None:
        """An upsert's run ids and keys are written down before it; a deleting statement deletes every record."""
        if write.method == "query":
            if write.effect == "delete":
                self.forget_all()
        elif write.method == "upsert_nodes" and write.args[0] in LABELS:
            rows = to_arrow(write.args[1])
            key = LABELS[write.args[0]]
            if RUN in rows.column_names and key in rows.column_names:
                self.note(write.args[0], rows.select([RUN, key]).rename_columns([RUN, "key"]))
        elif write.method == "upsert_relationships" and write.args[0] in RELATIONSHIPS:
            rows = to_arrow(write.args[3])
            if RUN in rows.column_names:
                self.note(write.args[0], rows.select([RUN, FROM_KEY, TO_KEY]).rename_columns([RUN, "src", "dst"]))
        return None

    def after(self, store: EmbeddedStore, write: Write, committed: bool) -> None:
        """(A rolled-back write leaves keys in the record that are not the run's: harmless, see above.)"""


def recorder(store: EmbeddedStore) -> Recorder | None:
    """The store's recorder (None for a read-only store)."""
    return companion(store, "_run_recorder", Recorder)


def begin(store: Any, run: str) -> None:
    """Before the load run ``run`` writes anything (:func:`loaders.base.run_load`): begin its record, unless the
    store holds the run already (a resumed or repeated load: its record, if any, is deleted; the scan finds it)."""
    if getattr(store, "backend", None) != "embedded" or getattr(store, "read_only", True):
        return
    found = recorder(store)
    if found is None:
        return
    if int(store.query("load_run_known", {"run": run}).scalar()):
        found.forget(run)
    else:
        found.begin(run)


def keys_of(store: Any, runs: set[str]) -> dict[str, pa.Table] | None:
    """The keys the ``runs`` wrote, per label or type (a label's: column ``key``; a type's: ``src``, ``dst``), a
    superset of those whose stored ``load_run_id`` is one of the runs; None when a run has no whole record (a
    store loaded before the records, another backend, a resumed load): scan then."""
    path = getattr(store, "path", None)
    if getattr(store, "backend", None) != "embedded" or path is None:
        return None
    found: dict[str, list[pa.Table]] = {}
    for run in sorted(runs):
        where = _run_folder(Path(path), run)
        if not (where / BEGUN).exists():
            return None
        try:
            for part in sorted(where.glob("*.arrow")):
                with ipc.open_file(part) as source:
                    found.setdefault(part.name.split(".", 1)[0], []).append(source.read_all())
        except (OSError, pa.ArrowInvalid):
            return None
    return {name: pa.concat_tables(parts) for name, parts in found.items()}


def prune(store: Any) -> None:
    """Delete every run's records: called once the analysis that read them has committed (every run the store
    holds is analysed then, so none is read again)."""
    path = getattr(store, "path", None)
    if getattr(store, "backend", None) != "embedded" or path is None or getattr(store, "read_only", False):
        return
    where = folder(Path(path))
    if where.is_dir():
        for run in where.iterdir():
            shutil.rmtree(run, ignore_errors=True)
