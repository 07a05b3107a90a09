"""The side table's delta read beside the analysis (graph.side_delta.append_beside): a day's load whose analysis
follows commits and returns while a thread of its own reads the day's part; the next reader of the files or writer
of the store waits for it, so the analysis reads and writes what it would have after a load that read the part
itself, and a part that failed leaves no files and is reported once."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from algorithms import incremental
from api.services import daily
from graph import side_delta, side_table
from graph.embedded_store import EmbeddedStore
from graph.embedded_writes import wal_path
from loaders.base import LoadOptions
from loaders.day import day_files
from tests.graph.test_side_table import assert_answers_as_the_engine
from tests.worlds import History, analysed_history, copy_store, streamed_history


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    return streamed_history(tmp_path_factory, "small", 3, batches=3, batch_traces=100)


@pytest.fixture(scope="module")
def analysed(history: History, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The history analysed, checkpointed and its side table written (as tests/graph/test_side_table.py's)."""
    full = analysed_history(tmp_path_factory, "small", 3, batches=3, batch_traces=100)
    with EmbeddedStore(copy_store(full.db, tmp_path_factory.mktemp("side") / "db.lbug")) as opened:
        assert side_table.rewrite(opened) > 1000
        return opened.path


def _copy(source: Path, to: Path) -> Path:
    """A copy keeping the files' sizes and modification times (the side table's stamp), as `cp -a` does."""
    to.parent.mkdir(parents=True, exist_ok=True)
    for part in (source, wal_path(source)):
        if part.exists():
            shutil.copy2(part, to.with_name(part.name.replace(source.name, to.name)))
    shutil.copytree(side_table.folder(source), side_table.folder(to))
    return to


@pytest.fixture
def two(analysed: Path, tmp_path: Path) -> Iterator[tuple[EmbeddedStore, EmbeddedStore]]:
    with EmbeddedStore(_copy(analysed, tmp_path / "a" / "db.lbug")) as first, \
            EmbeddedStore(_copy(analysed, tmp_path / "b" / "db.lbug")) as second:
        yield first, second


def _day(world: History, number: int, to: Path) -> Path:
    to.mkdir(parents=True, exist_ok=True)
    for name in ("traces.csv", "multiple_sales.csv", "nibin_leads.csv"):
        (to / name).write_bytes((world.stream.batches[number] / name).read_bytes())
    return to


def _slow_part(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The part written 1.5 s late when a thread other than the caller's writes it; the writing threads' names."""
    threads: list[str] = []
    append = side_delta._append

    def late(*args: Any, **kwargs: Any) -> None:
        threads.append(threading.current_thread().name)
        if threading.current_thread() is not threading.main_thread():
            time.sleep(1.5)
        append(*args, **kwargs)
    monkeypatch.setattr(side_delta, "_append", late)
    return threads


def _result_rows(result: incremental.IncrementalResult) -> tuple[Any, ...]:
    straw = result.straw.drop(columns=["previous"]).sort_values("person_key").reset_index(drop=True)
    joins = result.joins.sort_values("person_key").reset_index(drop=True)
    return straw, joins, sorted(result.touched.changed), result.touched.closure


def test_the_analysis_after_a_day_read_beside_equals_the_one_after_a_day_read_at_the_commit(
        two: tuple[EmbeddedStore, EmbeddedStore], history: History, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Two days on two copies: one loaded as the daily command loads them (the analysis follows: the part is read
    beside, late), one whose load reads its part itself. The analyses, the write backs and the files agree."""
    beside, at_commit = two
    threads = _slow_part(monkeypatch)
    options = LoadOptions(rejects_dir=tmp_path / "rejects")
    for number in (0, 1):
        day = _day(history, number, tmp_path / f"day{number}")
        daily.load_files(beside, day_files(day), options, one_transaction=True, analysis_follows=True)
        daily.load_files(at_commit, day_files(day), options, one_transaction=True)
        assert threads[-2:] == ["side-delta", "MainThread"]
        # straight after the load: the analysis (its person lane waits for the part) and its write back (its
        # first write waits too)
        found = incremental.analyze_incremental(beside)
        incremental.write_back(beside, found)
        expected = incremental.analyze_incremental(at_commit)
        incremental.write_back(at_commit, expected)
        for got, wanted in zip(_result_rows(found), _result_rows(expected), strict=True):
            if isinstance(got, pd.DataFrame):
                pd.testing.assert_frame_equal(got, wanted, check_exact=True)
            else:
                assert got == wanted
        manifest, theirs = side_table.current(beside.path), side_table.current(at_commit.path)
        assert manifest is not None and theirs is not None and manifest["parts"] == theirs["parts"]
        # (the base, a part a day's load and the write backs' scores parts: tests/graph/test_side_table.py counts
        # them for the daily step)
        assert manifest["scores"] and manifest["parts"][0] == "base"
        assert_answers_as_the_engine(beside)


def test_a_part_that_fails_beside_leaves_no_files_and_is_reported_once(
        two: tuple[EmbeddedStore, EmbeddedStore], history: History, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The part's thread fails: the next reader of the files hears of it (as the load's commit did when the load
    read the part itself), the files are gone, and the analysis then reads the engine."""
    store, _other = two

    def failing(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the part's reads failed")
    monkeypatch.setattr(side_delta, "_append", failing)
    day = _day(history, 0, tmp_path / "day")
    daily.load_files(store, day_files(day), LoadOptions(rejects_dir=tmp_path / "rejects"), one_transaction=True,
                     analysis_follows=True)
    with pytest.raises(RuntimeError, match="the part's reads failed"):
        side_table.current(store.path)
    assert side_table.current(store.path) is None and not side_table.folder(store.path).exists()
    incremental.write_back(store, incremental.analyze_incremental(store))


def test_closing_the_store_waits_for_the_part(two: tuple[EmbeddedStore, EmbeddedStore], history: History,
                                              tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command closes the store as soon as its load is done (``--analyze none`` is not this path, but a failed
    analysis is): the close waits for the part, and the next process finds the files current."""
    store, _other = two
    _slow_part(monkeypatch)
    day = _day(history, 0, tmp_path / "day")
    daily.load_files(store, day_files(day), LoadOptions(rejects_dir=tmp_path / "rejects"), one_transaction=True,
                     analysis_follows=True)
    store.close()
    with EmbeddedStore(store.path) as again:
        manifest = side_table.current(again.path)
        assert manifest is not None and len(manifest["parts"]) == 2
        assert_answers_as_the_engine(again)
