"""The warming of the analysis' first reads during a day's load (algorithms/warm_up.py): reads only, on a reader
made before the day's transaction, finished when the load's block ends, never failing the load."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from algorithms import warm_up
from cypher import registry
from graph.embedded_store import EmbeddedStore
from graph.errors import StoreUnavailable
from graph.store import one_unit
from graph.write_following import effect


def test_the_warm_statements_are_reads() -> None:
    for name in warm_up.STATEMENTS:
        assert effect(registry().get(name, "embedded")) == "read", name


def test_the_warming_reads_on_a_reader_and_ends_with_the_block(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, bool, str]] = []
    query = EmbeddedStore.query

    def spy(self: EmbeddedStore, name: str, params: dict[str, object] | None = None) -> object:
        if name.startswith("warm_"):
            seen.append((name, self.read_only, threading.current_thread().name))
        return query(self, name, params)
    monkeypatch.setattr(EmbeddedStore, "query", spy)
    with EmbeddedStore(tmp_path / "db.lbug") as store:
        store.init_schema()
        with one_unit(store), warm_up.during_load(store) as inside:  # no reader inside a transaction
            assert inside is None
        with warm_up.during_load(store) as thread, one_unit(store):
            assert thread is not None
            thread.join(60)  # (a load longer than the warming)
        assert seen == [(name, True, "warm-up") for name in warm_up.STATEMENTS]
        seen.clear()
        with warm_up.during_load(store) as again:  # the first load of an open store only
            assert again is None
    with EmbeddedStore(tmp_path / "db.lbug") as store:
        with warm_up.during_load(store) as thread:  # a load shorter: stopped after the statement in flight
            pass
        assert thread is not None and not thread.is_alive() and len(seen) <= len(warm_up.STATEMENTS)
    seen.clear()
    with EmbeddedStore(tmp_path / "db.lbug") as store:
        monkeypatch.setenv("TRACEGRAPH_WARM_UP", "0")
        with warm_up.during_load(store) as off:
            assert off is None
    assert seen == []


def test_a_failing_warm_statement_never_fails_the_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    query = EmbeddedStore.query

    def failing(self: EmbeddedStore, name: str, params: dict[str, object] | None = None) -> object:
        if name.startswith("warm_"):
            raise StoreUnavailable("gone")
        return query(self, name, params)
    monkeypatch.setattr(EmbeddedStore, "query", failing)
    with EmbeddedStore(tmp_path / "db.lbug") as store:
        store.init_schema()
        with warm_up.during_load(store) as thread:
            assert thread is not None
        assert not thread.is_alive()


def _after_the_warming(monkeypatch: pytest.MonkeyPatch) -> None:
    """The day's files loaded only once the warming has read everything (a small day's load is shorter than it)."""
    from api.services import daily

    load = daily.run_load

    def waiting(*args: object, **kwargs: object) -> object:
        for thread in threading.enumerate():
            if thread.name == "warm-up":
                thread.join(120)
        return load(*args, **kwargs)  # type: ignore[arg-type]
    monkeypatch.setattr(daily, "run_load", waiting)


def test_the_corridor_cells_read_during_the_load_are_the_analysis_rows(
        tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Kept when the analysis follows, given once, equal to the statement's rows after the load; stale (None) once
    anything that may write a corridor cell ran since."""
    from api.services import daily
    from loaders.base import LoadOptions
    from loaders.day import day_files
    from tests.worlds import analysed_day_store, copy_store

    history = analysed_day_store(tmp_path_factory, tmp_path / "a.lbug")
    copy_store(tmp_path / "a.lbug", tmp_path / "b.lbug")
    _after_the_warming(monkeypatch)
    files = day_files(history.stream.batches[0])
    with EmbeddedStore(tmp_path / "a.lbug") as store:
        daily.load_files(store, files, LoadOptions(rejects_dir=tmp_path), one_transaction=True,
                         analysis_follows=True)
        kept = warm_up.kept(store, "corridor_cells_all")
        assert kept is not None and len(kept) > 0
        now = store.query("corridor_cells_all").df()
        order = list(now.columns)
        assert kept.df().sort_values(order, ignore_index=True).equals(now.sort_values(order, ignore_index=True))
        assert warm_up.kept(store, "corridor_cells_all") is None  # once
    with EmbeddedStore(tmp_path / "b.lbug") as store:
        daily.load_files(store, files, LoadOptions(rejects_dir=tmp_path), one_transaction=True,
                         analysis_follows=True)
        one = store.node_table("CorridorCell", ("traces",)).to_pandas().head(1)
        store.upsert_nodes("CorridorCell", one.rename(columns={"key": "cell_id"}).assign(traces=one["traces"] + 1))
        assert warm_up.kept(store, "corridor_cells_all") is None  # a cell written since: read again


def test_the_analysis_after_a_day_reads_the_kept_cells_and_finds_the_same(
        tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from api.services import daily
    from api.settings import Settings
    from loaders.base import LoadOptions
    from loaders.day import day_files
    from tests.worlds import analysed_day_store, copy_store

    history = analysed_day_store(tmp_path_factory, tmp_path / "kept.lbug")
    copy_store(tmp_path / "kept.lbug", tmp_path / "read.lbug")
    _after_the_warming(monkeypatch)
    asked: list[str] = []
    query = EmbeddedStore.query

    def spy(self: EmbeddedStore, name: str, params: dict[str, object] | None = None) -> object:
        asked.append(name)
        return query(self, name, params)
    monkeypatch.setattr(EmbeddedStore, "query", spy)
    found = {}
    for name, follows in (("kept", True), ("read", False)):
        with EmbeddedStore(tmp_path / f"{name}.lbug") as store:
            daily.load_files(store, day_files(history.stream.batches[0]), LoadOptions(rejects_dir=tmp_path),
                             one_transaction=True, analysis_follows=follows)
            asked.clear()
            record, why = daily.after_load(store, Settings(db=tmp_path / f"{name}.lbug"), "incremental")
            assert record is not None, why
            assert ("corridor_cells_all" in asked) is not follows  # the kept rows instead of the statement
            found[name] = (record["alerts"], record["summary"]["corridors"],
                           store.query("corridor_cells_all").df().sort_values(["level", "year", "src", "dst"],
                                                                               ignore_index=True))
    assert found["kept"][:2] == found["read"][:2] and found["kept"][2].equals(found["read"][2])


def test_a_day_that_fails_at_once_ends_the_warming_before_its_rollback_reopens_the_store(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A day whose first file is refused rolls back, and the rollback reopens the store (closing the database the
    warming's reader reads from): the warming's statement in flight then ends first, on the open store."""
    from api.services import daily
    from graph.errors import InvalidInput
    from loaders.base import LoadOptions
    from loaders.day import day_files

    query = EmbeddedStore.query
    in_flight, refused = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def held(self: EmbeddedStore, name: str, params: dict[str, object] | None = None) -> object:
        if name.startswith("warm_") and not in_flight.is_set():
            in_flight.set()
            refused.wait(30)  # the warming's first statement still runs when the day is refused
        try:
            return query(self, name, params)
        except BaseException as exc:
            failures.append(exc)
            raise
    monkeypatch.setattr(EmbeddedStore, "query", held)
    load = daily.run_load

    def refusing(*args: object, **kwargs: object) -> object:
        assert in_flight.wait(30)
        try:
            return load(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            threading.Timer(0.3, refused.set).start()  # (after the refusal has reached the transaction's end)
    monkeypatch.setattr(daily, "run_load", refusing)
    day = tmp_path / "day"
    day.mkdir()
    (day / "traces.csv").write_text("foo,bar\n1,2\n")
    with EmbeddedStore(tmp_path / "db.lbug") as store:
        store.init_schema()
        with pytest.raises(InvalidInput, match="missing required column"):
            daily.load_files(store, day_files(day), LoadOptions(rejects_dir=tmp_path / "rejects"),
                             one_transaction=True)
        assert failures == []  # (before: StoreUnavailable, the warming read a closed store)
        assert not [t for t in threading.enumerate() if t.name == "warm-up"]
        assert store.query("warm_person_scores").arrow().num_rows == 1
