"""A day's files in one command (``tracegraph load day DIR``): loaded in order as one transaction (one checkpoint)
and analysed once; a process killed half way leaves the store as it was before the day."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from graph.embedded_store import EmbeddedStore
from graph.errors import InvalidInput
from loaders.base import LoadOptions, interrupted_loads, run_load
from loaders.day import day_files
from loaders.kinds import loader_for
from loaders.synthetic.stream import BATCH_KINDS
from tests.worlds import copy_store

ROOT = Path(__file__).resolve().parents[2]


def _counts(db: Path) -> dict[str, dict[str, int]]:
    with EmbeddedStore(db, read_only=True) as store:
        return store.counts()


def test_load_day_loads_the_days_files_and_analyses_once(analysed: tuple[Path, list[Path]], tmp_path: Path) -> None:
    history, days = analysed
    day_db = copy_store(history, tmp_path / "day.lbug")
    done = CliRunner().invoke(app, ["--db", str(day_db), "load", "day", str(days[0]), "--json",
                                    "--rejects-dir", str(tmp_path)])
    assert done.exit_code == 0, done.output
    answer = json.loads(done.stdout.splitlines()[-1])
    assert [f["kind"] for f in answer["files"]] == ["traces", "multiple-sales", "nibin"]
    assert answer["analysis"]["run_id"].startswith("analysis-inc-")

    by_file = copy_store(history, tmp_path / "by_file.lbug")
    for kind, name in BATCH_KINDS:  # the README's three loads, each analysing what is new so far
        one = CliRunner().invoke(app, ["--db", str(by_file), "load", kind, str(days[0] / name),
                                       "--rejects-dir", str(tmp_path)])
        assert one.exit_code == 0, one.output
    assert _counts(day_db)["relationships"] == _counts(by_file)["relationships"]
    with EmbeddedStore(day_db, read_only=True) as one_run, EmbeddedStore(by_file, read_only=True) as three_runs:
        assert len(one_run.node_table("AnalysisRun")) + 2 == len(three_runs.node_table("AnalysisRun"))
        scores = [s.node_table("Person", ("straw_score",)).to_pandas().set_index("key")["straw_score"]
                  for s in (one_run, three_runs)]
    assert (scores[0].fillna(-1) - scores[1].fillna(-1)).abs().max() < 1e-9  # the same scores either way


KILLED_MID_DAY = """
import os, signal, sys
from api.cli import app
from loaders.multiple_sales import MultipleSalesLoader

MultipleSalesLoader.load = lambda self, good: os.kill(os.getpid(), signal.SIGKILL)  # dies inside the day
app(["--db", sys.argv[1], "load", "day", sys.argv[2], "--rejects-dir", sys.argv[3]])
"""


def test_a_day_killed_half_way_leaves_the_store_as_it_was(analysed: tuple[Path, list[Path]], tmp_path: Path) -> None:
    """The day's files are one transaction: a process killed in its second file leaves none of the first (no
    half day, no interrupted run to name); loading the day again loads all of it."""
    history, days = analysed
    db = copy_store(history, tmp_path / "killed.lbug")
    killed = subprocess.run([sys.executable, "-c", KILLED_MID_DAY, str(db), str(days[0]), str(tmp_path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert _counts(db) == _counts(history)
    with EmbeddedStore(db) as store:
        assert interrupted_loads(store) == []
    again = CliRunner().invoke(app, ["--db", str(db), "load", "day", str(days[0]), "--analyze", "none",
                                     "--rejects-dir", str(tmp_path)])
    assert again.exit_code == 0, again.output
    by_file = copy_store(history, tmp_path / "by_file.lbug")
    with EmbeddedStore(by_file) as store:
        for kind, name in BATCH_KINDS:
            run_load(loader_for(kind), store, days[0] / name, LoadOptions(rejects_dir=tmp_path))
    assert _counts(db) == _counts(by_file)


def test_a_file_whose_name_names_no_kind_is_refused_before_anything_loads(tmp_path: Path) -> None:
    for name in ("traces_1205.csv", "nibin.csv", "notes.txt"):
        (tmp_path / name).write_text("x")
    with pytest.raises(InvalidInput, match=r"no kind for notes\.txt"):
        day_files(tmp_path)


def _people_graph(store: EmbeddedStore) -> dict[str, list[tuple[object, ...]]]:
    """The persons and their relationships, each table's rows sorted."""
    tables = {"Person": store.node_table("Person", ("last_name", "first_name", "middle_name", "dob", "street",
                                                    "zip", "record_count", "address_key")),
              "PURCHASED": store.edge_list("PURCHASED", "Person", "Firearm", ("sale_id",)),
              "POSSESSED_BY": store.edge_list("POSSESSED_BY", "Recovery", "Person"),
              "LIVES_AT": store.edge_list("LIVES_AT", "Person", "Location"),
              "IN_BLOCK": store.edge_list("IN_BLOCK", "Person", "PersonBlock")}
    return {name: sorted(tuple(str(v) for v in row.values()) for row in table.to_pylist())
            for name, table in tables.items()}


def test_a_day_s_first_persons_are_resolved_beside_its_first_writes(
        analysed: tuple[Path, list[Path]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The day's first file resolves its persons in a thread of their own, reading the stored persons through a
    reader made before the day's transaction, while the store's connection writes the rows that need no person
    (nothing the reader reads is written meanwhile); the next file, after the first wrote persons, reads through
    the store's own. The persons resolved and written are the same as with the store's connection alone."""
    import threading
    from contextlib import nullcontext

    from api.services import daily

    history, days = analysed
    through: list[tuple[bool, bool]] = []  # per persons_by_blocks read: through the reader, off the main thread
    query = EmbeddedStore.query

    def spy(self: EmbeddedStore, name: str, params: dict[str, object] | None = None) -> object:
        if name == "persons_by_blocks":
            through.append((bool(getattr(self, "_reading", False)),
                            threading.current_thread() is not threading.main_thread()))
        return query(self, name, params)
    monkeypatch.setattr(EmbeddedStore, "query", spy)
    graphs, reads = [], []
    for two in (True, False):
        if not two:
            monkeypatch.setattr(daily, "reader", lambda _store, threads=0: nullcontext(None))
        through.clear()
        with EmbeddedStore(copy_store(history, tmp_path / f"{two}.lbug")) as store:
            daily.load_files(store, day_files(days[0]), LoadOptions(rejects_dir=tmp_path / str(two)),
                             one_transaction=True)
            graphs.append(_people_graph(store))
        reads.append(list(through))
    assert reads[0] == [(True, True), (False, False)]  # traces: the reader, in a thread; multiple sales: the store
    assert reads[1] == [(False, False), (False, False)]
    assert graphs[0] == graphs[1] and graphs[0]["Person"]


def test_a_day_failing_while_its_persons_resolve_ahead_leaves_the_store_as_it_was(
        analysed: tuple[Path, list[Path]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A day whose first file fails while its persons are being resolved in their own thread: the error is the
    user's, the thread has ended (the reader it reads through is closed after it), and nothing of the day is
    stored; the same day then loads."""
    import threading

    from api.services import daily
    from loaders.traces import TracesLoader

    history, days = analysed
    db = copy_store(history, tmp_path / "day.lbug")
    before = _counts(db)
    write = TracesLoader._recoveries

    def failing(self: TracesLoader, good: object, at: object) -> object:
        assert self.persons._ahead is not None  # (the persons' thread is under way)
        raise InvalidInput("the disk went away")
    monkeypatch.setattr(TracesLoader, "_recoveries", failing)
    with EmbeddedStore(db) as store:
        with pytest.raises(InvalidInput, match="the disk went away"):
            daily.load_files(store, day_files(days[0]), LoadOptions(rejects_dir=tmp_path), one_transaction=True)
        assert not [t for t in threading.enumerate() if t.name.startswith("persons")]
        monkeypatch.setattr(TracesLoader, "_recoveries", write)
        assert store.counts() == before
        reports = daily.load_files(store, day_files(days[0]), LoadOptions(rejects_dir=tmp_path), one_transaction=True)
    assert reports[0].loaded > 0 and _counts(db)["nodes"]["Person"] > before["nodes"]["Person"]
