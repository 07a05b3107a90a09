"""The keys each load run wrote, recorded beside the store (graph/run_keys.py): the incremental analysis' seeds read
by them equal the seeds found by scanning the run ids, and a run without a whole record is scanned, never missed."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from algorithms import incremental
from algorithms.runs import new_load_runs
from cypher import registry
from graph import run_keys
from graph.embedded_store import EmbeddedStore
from loaders.base import LoadOptions, run_load
from loaders.kinds import loader_for
from loaders.synthetic.stream import BATCH_KINDS
from tests.worlds import analysed_history, copy_store


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[Path]]]:
    """The streamed small history, analysed (the session's template, closed: copy it), and its batches' folders."""
    history = analysed_history(tmp_path_factory, "small", 3, batches=3, batch_traces=100)
    yield history.db, history.stream.batches


def _day(store: EmbeddedStore, batch: Path, rejects: Path) -> None:
    for kind, name in BATCH_KINDS:
        run_load(loader_for(kind), store, batch / name, LoadOptions(rejects_dir=rejects))


def _scanned(store: EmbeddedStore, runs: set[str]) -> tuple[set[str], set[str], set[str]]:
    """The seeds as the scans of the run ids find them (no record read)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(run_keys, "keys_of", lambda _store, _runs: None)
        return incremental._seeds(store, runs)


@pytest.fixture
def store(analysed: tuple[Path, list[Path]], tmp_path: Path) -> Iterator[EmbeddedStore]:
    with EmbeddedStore(copy_store(analysed[0], tmp_path / "db.lbug")) as opened:
        yield opened


def test_the_seeds_read_by_the_recorded_keys_equal_the_scans(
        analysed: tuple[Path, list[Path]], store: EmbeddedStore, tmp_path: Path) -> None:
    for batch in analysed[1][:2]:
        _day(store, batch, tmp_path / "rejects")
        _base, runs, _kinds = new_load_runs(store)
        recorded = run_keys.keys_of(store, set(runs))
        assert recorded is not None and recorded["Person"].num_rows and recorded["Recovery"].num_rows
        seeds = incremental._seeds(store, set(runs))
        assert seeds == _scanned(store, set(runs)) and all(seeds)
        for label, statement in (("Person", "persons_of_runs"), ("Recovery", "recoveries_of_runs"),
                                 ("Firearm", "firearms_of_runs")):  # the record holds every key the scan finds
            scanned = set(store.query(statement, {"runs": sorted(runs)}).df()["key"])
            assert scanned <= set(recorded[label].column("key").to_pylist())
        # only the records of the runs not yet analysed are kept: the analysis' write back deletes the others
        assert {p.name for p in run_keys.folder(store.path).iterdir()} == set(runs)
        incremental.write_back(store, incremental.analyze_incremental(store))
        # (none left: pruned, or the folder gone with them where the write back deleted a row, as the trace
        # corridors' whole write does: graph.run_keys.Recorder.forget_all)
        assert not list(run_keys.folder(store.path).glob("*")) and run_keys.keys_of(store, set(runs)) is None


def test_a_store_loaded_without_records_is_scanned(store: EmbeddedStore, analysed: tuple[Path, list[Path]],
                                                   tmp_path: Path) -> None:
    _day(store, analysed[1][0], tmp_path / "rejects")
    _base, runs, _kinds = new_load_runs(store)
    expected = _scanned(store, set(runs))
    shutil.rmtree(run_keys.folder(store.path))  # as a store loaded before the records existed
    assert run_keys.keys_of(store, set(runs)) is None
    assert incremental._seeds(store, set(runs)) == expected and all(expected)
    for part in run_keys.folder(store.path).glob("*/*.arrow"):
        part.unlink()
    assert run_keys.keys_of(store, set(runs)) is None  # (no folder left to read)


def test_a_repeated_load_of_a_run_loses_its_record(store: EmbeddedStore, analysed: tuple[Path, list[Path]],
                                                   tmp_path: Path) -> None:
    batch = analysed[1][0]
    _day(store, batch, tmp_path / "rejects")
    _base, runs, _kinds = new_load_runs(store)
    assert run_keys.keys_of(store, set(runs)) is not None
    run_load(loader_for("traces"), store, batch / "traces.csv", LoadOptions(rejects_dir=tmp_path / "rejects"))
    assert run_keys.keys_of(store, set(runs)) is None  # the traces run is stored already: scanned from now on
    assert incremental._seeds(store, set(runs)) == _scanned(store, set(runs))


def test_a_write_before_the_run_began_or_by_another_process_is_not_trusted(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "db.lbug") as store:
        store.init_schema()
        store.upsert_nodes("Person", pa.table({"person_key": ["p1"], "load_run_id": ["r1"]}))
        store.upsert_nodes("LoadRun", pa.table({"run_id": ["r1"]}))
        run_keys.begin(store, "r1")  # stored: no record
        assert run_keys.keys_of(store, {"r1"}) is None
        run_keys.begin(store, "r2")
        store.upsert_nodes("Person", pa.table({"person_key": ["p2"], "load_run_id": ["r2"]}))
        recorded = run_keys.keys_of(store, {"r2"})
        assert recorded is not None and recorded["Person"].column("key").to_pylist() == ["p2"]
    with EmbeddedStore(tmp_path / "db.lbug") as again:  # another process writing r2 (not begun there)
        again.upsert_nodes("Person", pa.table({"person_key": ["p3"], "load_run_id": ["r2"]}))
        assert run_keys.keys_of(again, {"r2"}) is None


def test_a_deleting_statement_deletes_every_record(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "db.lbug") as store:
        store.init_schema()
        run_keys.begin(store, "r1")
        store.upsert_nodes("Person", pa.table({"person_key": ["p1"], "load_run_id": ["r1"]}))
        assert run_keys.keys_of(store, {"r1"}) is not None
        store.query("retention_delete_persons", {"keys": ["p1"]})
        assert run_keys.keys_of(store, {"r1"}) is None and not run_keys.folder(store.path).exists()
        store.upsert_nodes("Person", pa.table({"person_key": ["p4"], "load_run_id": ["r1"]}))
        assert run_keys.keys_of(store, {"r1"}) is None


def test_no_statement_writes_a_run_id() -> None:
    """Only the upserts write ``load_run_id`` (the records see every upsert): a statement that set it would write
    keys no record holds."""
    for name, _backend, text in registry().items():
        assert not re.search(r"(SET|CREATE|MERGE)[^;]*load_run_id", text, re.IGNORECASE | re.DOTALL), name
