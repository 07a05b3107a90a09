"""The side table beside the embedded store (graph/side_table.py): a day's load keeps it current and it answers the
neighbourhood's reads as the engine does; every other write deletes it before writing (a correction, a purge, a
rolled-back transaction), and a write it did not see (another program) makes it stale, so it is deleted unread.
(The incremental = full equality with and without it: tests/analytics/test_incremental.py runs both.)"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ladybug
import pyarrow as pa
import pyarrow.feather as feather
import pytest

from algorithms.alerts import analyze_and_alert
from algorithms.store_order import persons_in_store_order
from api.services import daily
from cypher import registry
from graph import side_delta, side_table, write_following
from graph.embedded_store import EmbeddedStore
from graph.embedded_writes import wal_path
from loaders.base import LoadOptions, run_load
from loaders.day import day_files
from loaders.domain.straw_keys import QUICK_DAYS
from loaders.kinds import loader_for
from tests.worlds import History, analysed_history, copy_store, streamed_history


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    return streamed_history(tmp_path_factory, "small", 3, batches=3, batch_traces=100)


@pytest.fixture(scope="module")
def analysed(history: History, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The history, fully analysed, checkpointed (the session's :func:`tests.worlds.analysed_history`), with its
    side table written: built once for the module. Never opened again: tests take copies."""
    full = analysed_history(tmp_path_factory, "small", 3, batches=3, batch_traces=100)
    with EmbeddedStore(copy_store(full.db, tmp_path_factory.mktemp("side") / "db.lbug")) as opened:
        assert opened.wal_bytes() == 0  # checkpointed, as a full analysis leaves it
        assert side_table.rewrite(opened) > 1000
        return opened.path


@pytest.fixture
def store(analysed: Path, tmp_path: Path) -> Iterator[EmbeddedStore]:
    """A copy of the analysed history with its side table, which stays current: the copy keeps the files' sizes
    and modification times (the side table's stamp), as `cp -a` does."""
    copy = tmp_path / "db.lbug"
    for source in (analysed, wal_path(analysed)):
        if source.exists():
            shutil.copy2(source, copy.with_name(source.name.replace(analysed.name, copy.name)))
    shutil.copytree(side_table.folder(analysed), side_table.folder(copy))
    with EmbeddedStore(copy) as opened:
        assert side_table.current(opened.path) is not None
        yield opened


def _rows(table: Any) -> list[tuple[Any, ...]]:
    return sorted(tuple(str(v) for v in row.values()) for row in table.to_pylist())


def assert_answers_as_the_engine(store: EmbeddedStore) -> None:
    """Every keyed read the side table answers gives the engine's rows, for every key of its label."""
    side = side_table.open_tables(store)
    assert side is not None
    for (_table, _column), (label, statement) in side_table.DOMAINS.items():
        keys = sorted(store.node_table(label).column("key").to_pylist())
        engine = store.query(statement, {"keys": keys}).arrow()
        found = side.read(statement, keys).arrow()
        assert found.column_names == engine.column_names, statement
        assert _rows(found) == _rows(engine), statement
    keys = {"straw_address_mates": sorted(set(store.node_table("Person", ("address_key",)).column("address_key")
                                              .to_pylist()) - {None}),
            "straw_buyers_of_recoveries": sorted(store.node_table("Recovery").column("key").to_pylist()),
            "straw_buyers_of_possessors": sorted(store.node_table("Person").column("key").to_pylist())}
    straw_keys = sorted(store.node_table("StrawKey").column("key").to_pylist())
    keys |= {"straw_keyed_buyers": straw_keys, "straw_keyed_city_buyers": straw_keys,
             # (a location key under no ql| key asks for nothing: the engine finds none either)
             "straw_keyed_city_dealers": sorted({k[3:] for k in straw_keys if k.startswith("ql|")} | {"nowhere"})}
    params = {"straw_keyed_city_buyers": {"quick_days": QUICK_DAYS}}
    for statement, wanted in keys.items():
        engine = store.query(statement, {"keys": wanted, **params.get(statement, {})}).arrow()
        found = side.read(statement, wanted, params.get(statement)).arrow()
        assert found.column_names == engine.column_names, statement
        assert engine.num_rows and _rows(found) == _rows(engine), statement
    # the persons' stored scores (kept by the write backs), every person's, a row each in the order asked
    persons = store.node_table("Person").column("key").to_pylist()[::-1]
    engine = store.query("straw_stored_scores", {"keys": persons}).arrow()
    kept = side.stored_scores(persons)
    assert kept is not None and kept.schema == engine.schema and kept.equals(engine)


def spy_writes(store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """(statement, whether the side folder existed when it ran) for every write statement the engine runs."""
    seen: list[tuple[str, bool]] = []
    execute = store._execute

    def spy(text: str, params: dict[str, Any] | None = None) -> Any:
        if re.search(r"\b(DELETE|SET|CREATE|MERGE|COPY)\b", text):
            seen.append((text, side_table.folder(store.path).exists()))
        return execute(text, params)
    monkeypatch.setattr(store, "_execute", spy)
    return seen


def test_a_day_keeps_the_files_current_and_they_answer_as_the_engine(store: EmbeddedStore, history: History,
                                                                     tmp_path: Path) -> None:
    for number, batch in enumerate(history.stream.batches[:2], start=1):
        day = tmp_path / f"day{number}"
        day.mkdir()
        for _kind, name in (("traces", "traces.csv"), ("multiple-sales", "multiple_sales.csv"),
                            ("nibin", "nibin_leads.csv")):
            (day / name).write_bytes((batch / name).read_bytes())
        daily.load_files(store, day_files(day), LoadOptions(rejects_dir=tmp_path / "rejects"), one_transaction=True)
        manifest = side_table.current(store.path)
        assert manifest is not None and len(manifest["parts"]) == 2 * number  # the base, a part a day's load ...
        assert_answers_as_the_engine(store)
        analyze_and_alert(store)
        manifest = side_table.current(store.path)  # ... and a part for the scores its write back wrote
        assert manifest is not None and len(manifest["parts"]) == 1 + 2 * number and manifest["scores"]
        assert_answers_as_the_engine(store)
    store.close()  # closing moves no row: the files stay current for the next process
    with EmbeddedStore(store.path) as again:
        assert side_table.open_tables(again) is not None
        assert_answers_as_the_engine(again)


def test_a_correction_deletes_the_files_before_it_writes(store: EmbeddedStore, history: History, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    with (history.stream.batches[0] / "traces.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    first = rows[0]
    first["purchaser_last_name"] = "CORRECTED"
    fixed = tmp_path / "fixed.csv"
    with fixed.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(first))
        writer.writeheader()
        writer.writerow(first)
    run_load(loader_for("traces"), store, history.stream.batches[0] / "traces.csv",
             LoadOptions(rejects_dir=tmp_path / "rejects"))
    assert side_table.current(store.path) is not None
    seen = spy_writes(store, monkeypatch)
    report = run_load(loader_for("traces"), store, fixed, LoadOptions(rejects_dir=tmp_path / "rejects"))
    assert report.details.get("corrected") == 1
    drops = [exists for text, exists in seen if "DELETE" in text]
    assert drops and not any(drops)  # the files were gone before the first row was deleted
    assert side_table.open_tables(store) is None and not side_table.folder(store.path).exists()


@pytest.mark.parametrize("kind,name", [("ffl", "ffl_list_prev.txt"), ("stolen", "stolen.csv")])
def test_other_loads_keep_the_files_current_or_delete_them(store: EmbeddedStore, history: History, tmp_path: Path,
                                                           kind: str, name: str) -> None:
    """An FFL list loaded again (its older edition: dealers and places change) or the theft reports: afterwards
    the files answer as the engine does, or there are none."""
    run_load(loader_for(kind), store, history.stream.history / name, LoadOptions(rejects_dir=tmp_path / "rejects"))
    if side_table.current(store.path) is not None:
        assert_answers_as_the_engine(store)
    else:
        assert not side_table.folder(store.path).exists()


def test_a_write_the_store_did_not_see_makes_the_files_stale(store: EmbeddedStore) -> None:
    person = store.node_table("Person").column("key").to_pylist()[0]
    store.close()
    db = ladybug.Database(str(store.path))  # another program writes to the file
    conn = ladybug.Connection(db)
    conn.execute("MATCH (p:Person {person_key: $k}) SET p.last_name = 'ELSEWHERE'", {"k": person})
    conn.close()
    db.close()
    with EmbeddedStore(store.path) as again:
        assert side_table.open_tables(again) is None
        assert not side_table.folder(again.path).exists()


def test_a_rolled_back_transaction_deletes_the_files(store: EmbeddedStore) -> None:
    with pytest.raises(RuntimeError, match="stop"), store.batch():
        store.upsert_nodes("Person", [{"person_key": "P-NEW", "last_name": "NEW"}])
        raise RuntimeError("stop")
    assert not side_table.folder(store.path).exists()


def test_a_write_of_other_tables_keeps_the_files(store: EmbeddedStore) -> None:
    """A person's score (no column the files hold) moves the stamp, not the rows: the files are stamped again."""
    person = store.node_table("Person").column("key").to_pylist()[0]
    store.upsert_nodes("Person", [{"person_key": person, "straw_score": 0.5}])
    assert side_table.current(store.path) is not None
    store.upsert_nodes("Person", [{"person_key": person, "last_name": "RENAMED"}])  # a column they hold: a delta
    assert side_table.current(store.path) is not None
    assert_answers_as_the_engine(store)


def test_a_row_changed_since_the_base_is_read_in_its_new_version_only(store: EmbeddedStore) -> None:
    """The base's row of a person renamed since is superseded by the delta's (looked up by index in the base and
    by a scan in the delta); a key in neither finds nothing."""
    person = store.node_table("Person").column("key").to_pylist()[0]
    store.upsert_nodes("Person", [{"person_key": person, "last_name": "RENAMED"}])
    side = side_table.open_tables(store)
    assert side is not None and len(side.parts) == 2
    found = side.read("straw_persons", [person, "P-NOT-STORED"]).arrow()
    assert found["key"].to_pylist() == [person] and found["last_name"].to_pylist() == ["RENAMED"]


def test_a_read_of_some_columns_drops_the_superseded_rows_as_a_whole_read(store: EmbeddedStore) -> None:
    """The joins read only the columns they use (``_select(..., columns)``): a base row superseded by a later part
    is still dropped (the columns telling a row's version are read with them), and the rows are the whole read's."""
    bought = store.query("side_purchases_of_firearms", {"keys": store.node_table("Firearm").column("key")
                                                       .to_pylist()}).arrow()
    person = bought["src"][0].as_py()
    store.upsert_nodes("Person", [{"person_key": person, "last_name": "RENAMED"}])  # its purchases re-read
    side = side_table.open_tables(store)
    assert side is not None and len(side.parts) == 2
    guns = pa.array(sorted(set(bought["dst"].to_pylist())), pa.string())
    whole = side._select("purchases", "dst", guns)
    some = side._select("purchases", "dst", guns, ["src", "dst"])
    assert some.select(["src", "dst"]).equals(whole.select(["src", "dst"]))
    assert person in some["src"].to_pylist() and _rows(some.select(["src", "dst"])) == _rows(
        bought.select(["src", "dst"]))


def test_the_reads_distinct_rows_are_the_group_bys() -> None:
    """``_once`` (dictionary codes) keeps each row once in the order first met, as Arrow's group-by does."""
    values = ["a", None, "b", "a", None, "c", "a", "b"]
    table = pa.table({"x": pa.array(values, pa.string()), "y": pa.array(values[::-1], pa.string())})
    table = pa.concat_tables([table, table.slice(2, 4), table])
    assert side_table._once(table).equals(side_delta._distinct(table))
    assert side_table._once(table).num_rows == len(set(zip(values, values[::-1], strict=True)))
    assert side_table._once(table.slice(0, 0)).num_rows == 0


def test_a_side_table_of_an_older_format_is_deleted_unread(store: EmbeddedStore) -> None:
    """A folder without the base's indexes (format 1) is not read: the engine answers until the next full run."""
    manifest = side_table.folder(store.path) / "manifest.json"
    manifest.write_text(manifest.read_text().replace(f'"format": {side_table.FORMAT}', '"format": 1'))
    assert side_table.open_tables(store) is None and not side_table.folder(store.path).exists()


def test_the_kept_write_statements_change_none_of_the_tables() -> None:
    """The statements that run with the files current change no row they hold: they set or delete other labels'
    properties and nodes only."""
    held = {c for spec in side_table.TABLES.values() for c in spec[1:]}
    labels = set(side_table.NODE_COLUMNS) | side_table.RELATIONSHIPS
    for name in side_table.KEEPS:
        text = re.sub(r"//[^\n]*", "", registry().get(name, "embedded"))
        assert write_following.effect(text) != "read", name
        assert not {p for p in re.findall(r"SET\s+\w+\.(\w+)", text)} & held, name
        bound = dict(re.findall(r"\((\w+):(\w+)", text))
        deleted = re.findall(r"DELETE\s+(\w+)", text)
        assert not {bound.get(v) for v in deleted} & labels, name


def test_the_nightly_checkpoint_in_another_process_keeps_the_files_current(store: EmbeddedStore) -> None:
    """A day's store is checkpointed at night by `tracegraph store checkpoint` (another process): the log moves
    into the file and no row changes, so the next day's analysis still reads the files."""
    store.upsert_nodes("Person", [{"person_key": "P-NIGHT", "last_name": "NIGHT"}])  # a day's write: in the log
    assert side_table.current(store.path) is not None
    store.close()
    tracegraph = Path(sys.executable).parent / "tracegraph"
    done = subprocess.run([str(tracegraph), "--db", str(store.path), "store", "checkpoint"], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    with EmbeddedStore(store.path) as again:
        assert again.wal_bytes() == 0
        assert side_table.open_tables(again) is not None
        assert_answers_as_the_engine(again)


def test_a_day_s_delta_skips_only_new_keys_without_rows(store: EmbeddedStore, history: History, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A day's delta part reads a relationship table only at the keys that can have rows of it (a key created in
    the day's transaction that no upsert of the type named there has none): the part holds the same rows as one
    read at every touched key, and fewer keys were asked (the day's new recoveries' NIBIN links)."""
    calls: list[tuple[Any, ...]] = []
    append = side_delta._append

    def spy(*args: Any) -> None:
        calls.append(args)
        append(*args)
    monkeypatch.setattr(side_delta, "_append", spy)
    asked: list[tuple[str, str, int, int]] = []
    narrowed = side_delta._asked

    def counting(name: str, column: str, label: str, touched: dict[str, set[str]], created: dict[str, set[str]],
                 linked: dict[tuple[str, str, str], set[str]]) -> set[str]:
        keys = narrowed(name, column, label, touched, created, linked)
        asked.append((name, column, len(keys), len(touched.get(label, set()))))
        return keys
    monkeypatch.setattr(side_delta, "_asked", counting)
    day = tmp_path / "day"
    day.mkdir()
    for name in ("traces.csv", "multiple_sales.csv", "nibin_leads.csv"):
        (day / name).write_bytes((history.stream.batches[0] / name).read_bytes())
    daily.load_files(store, day_files(day), LoadOptions(rejects_dir=tmp_path / "rejects"), one_transaction=True)
    manifest = side_table.current(store.path)
    assert manifest is not None and len(calls) == 1
    part = manifest["parts"][-1]
    side = side_table.folder(store.path)

    def part_rows() -> dict[str, list[tuple[Any, ...]]]:
        return {f.name: _rows(feather.read_table(f)) for f in sorted(side.glob(f"{part}-*.arrow"))}
    kept = part_rows()
    store_, _manifest, touched, keyed, created, _linked, scored, written = calls[0]
    assert created.get("Recovery") and created.get("Person") and created.get("Firearm")
    first = len(asked)  # the day's reads; then the same part again, every touched key read
    append(store_, _manifest, touched, keyed, None, None, scored, written)
    assert part_rows() == kept
    day, again = asked[:first], asked[first:]
    assert all(n == total for _table, _column, n, total in again)
    nibin = [(n, total) for table, _column, n, total in day if table == "nibin"]
    assert nibin and all(n < total for n, total in nibin)
    assert all(n == total for table, _column, n, total in day if not side_table.TABLES[table][0].isupper())


def test_the_delta_s_reads_go_through_two_connections_with_the_engine_s_rows(
        store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A delta part's keyed reads of what was just committed are shared between the store's connection and a
    reader's in another thread; each gives the rows the store's own read gives, in the order asked."""
    import threading
    import time

    reads = [(statement, sorted(store.node_table(label).column("key").to_pylist()))
             for label, statement in side_table.DOMAINS.values()]
    expected = [store.query(statement, {"keys": keys}).arrow() for statement, keys in reads]
    through: set[tuple[int, bool]] = set()
    query = EmbeddedStore.query

    def spy(self: EmbeddedStore, name: str, params: dict[str, Any] | None = None) -> Any:
        reading = bool(getattr(self, "_reading", False))
        through.add((threading.get_ident(), reading))
        if not reading:
            time.sleep(0.01)  # the store's connection slower: the reader's thread takes some reads whatever
        return query(self, name, params)
    monkeypatch.setattr(EmbeddedStore, "query", spy)
    found = side_delta._read_back(store, reads)
    assert {reading for _thread, reading in through} == {True, False}
    assert len({thread for thread, _reading in through}) == 2
    assert [_rows(t) for t in found] == [_rows(t) for t in expected]
    assert [t.column_names for t in found] == [t.column_names for t in expected]


def test_the_persons_come_in_store_order_from_the_base_s_places(store: EmbeddedStore, history: History,
                                                                  tmp_path: Path) -> None:
    every = sorted(store.node_table("Person").column("key").to_pylist())
    asked = [*every[::-3], "nobody"]
    side = side_table.open_tables(store)
    assert side is not None
    # what the store answers (its node offsets), then what is no person
    assert side.in_store_order(asked) == [*persons_in_store_order(store, asked), "nobody"]
    assert side.in_store_order(asked) != sorted(asked)  # (the store's order here is not the keys')
    day = tmp_path / "day"
    day.mkdir()
    batch = history.stream.batches[0]
    for name in ("traces.csv", "multiple_sales.csv", "nibin_leads.csv"):
        (day / name).write_bytes((batch / name).read_bytes())
    daily.load_files(store, day_files(day), LoadOptions(rejects_dir=tmp_path / "rejects"), one_transaction=True)
    new = sorted(set(store.node_table("Person").column("key").to_pylist()) - set(every))
    assert new  # the day's persons, stored after the base's: they come after them, as asked
    side = side_table.open_tables(store)
    assert side is not None
    asked = [*new[::-1], *every[::-3]]
    assert side.in_store_order(asked) == [*persons_in_store_order(store, every[::-3]), *new[::-1]]
    stored = persons_in_store_order(store, asked)  # (the store's too: the new persons after the base's)
    assert stored[:len(every[::-3])] == persons_in_store_order(store, every[::-3]) and set(stored) == set(asked)


def test_a_side_table_without_the_places_asks_the_store(store: EmbeddedStore) -> None:
    (side_table.folder(store.path) / side_table.PLACES).unlink()  # as a full analysis before them left it
    side = side_table.open_tables(store)
    assert side is not None and side.in_store_order(["p1"]) is None
    assert_answers_as_the_engine(store)


def test_the_scores_a_transaction_writes_are_kept_as_the_store_holds_them(store: EmbeddedStore) -> None:
    """Rows naming every score are kept as written, unless a later upsert names the person again without them all
    or a score is null (kept as stored): those persons are read back after the commit."""
    a, b, c = sorted(store.node_table("Person").column("key").to_pylist())[:3]
    whole = {"straw_score": 3.5, "straw_points": 2.0, "straw_indicators": "[]", "straw_network": 0.25,
             "analysis_run_id": "run-x"}
    with store.batch():
        store.upsert_nodes("Person", [{"person_key": a, **whole}, {"person_key": c, **whole}])
        store.upsert_nodes("Person", [{"person_key": a, "analysis_run_id": "run-y"}])  # (a join: its run only)
        store.upsert_nodes("Person", [{"person_key": b, **whole, "straw_network": None}])  # (kept as stored)
        store.upsert_nodes("Person", [{"person_key": c, **whole, "straw_score": 4.5}])  # (the last counts)
    manifest = side_table.current(store.path)
    assert manifest is not None and manifest["scores"]
    assert_answers_as_the_engine(store)
    kept = side_table.open_tables(store)
    assert kept is not None
    found = kept.stored_scores([a, b, c])
    assert found is not None
    assert found.column("analysis_run_id").to_pylist() == ["run-y", "run-x", "run-x"]
    assert found.column("straw_score").to_pylist() == [3.5, 3.5, 4.5]
