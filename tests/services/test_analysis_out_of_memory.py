"""An analysis that fills the embedded store's buffer pool is told what to do about an analysis: the load's
advice (a smaller --batch-rows) does not apply to it."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pyarrow as pa
import pytest

from api.services import daily
from api.settings import Settings
from graph.embedded_store import EmbeddedStore
from graph.errors import StoreOutOfMemory
from graph.store import rows_copied


def test_an_incremental_analysis_out_of_memory_names_the_analysis_not_batch_rows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = [f"F{i:09d}" for i in range(100_000)]

    def filling(store: EmbeddedStore, **_kwargs: object) -> None:  # a real engine refusal (32 MB pool, 100k rows)
        with store.batch():
            store.upsert_nodes("Firearm", pa.table({"firearm_key": keys, "serial_number": keys}))

    monkeypatch.setattr("algorithms.alerts.analyze_and_alert", filling)
    with EmbeddedStore(tmp_path / "g.lbug", buffer_pool_mb=32) as store:
        store.init_schema()
        with pytest.raises(StoreOutOfMemory) as caught:
            daily.incremental(store, Settings(db=tmp_path / "g.lbug"))
    message = str(caught.value)
    assert "--batch-rows" not in message and "`tracegraph analyze --incremental`" in message
    assert "nothing of this analysis was written" in message and "\n" not in message
    assert caught.value.exit_code == 2


def test_a_filled_cache_with_days_in_the_log_frees_them_and_runs_once_more_copied(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The days' changes wait in the log (and the page cache) until a checkpoint: an analysis that fills the cache
    then is run once more after the log is written into the file, with its rows COPY'd; afterwards the store takes
    days through the log again. (The first attempt is a real engine refusal; the second one writes nothing.)"""
    keys = [f"F{i:09d}" for i in range(100_000)]
    attempts: list[tuple[int, bool]] = []

    def analysis(store: EmbeddedStore, **_kwargs: object) -> tuple[SimpleNamespace, int]:
        attempts.append((store.wal_bytes(), store.log_writes))
        if len(attempts) == 1:
            with store.batch():
                store.upsert_nodes("Firearm", pa.table({"firearm_key": keys, "serial_number": keys}))
        return SimpleNamespace(run_id="r1", summary={}, timings={}, cpu_timings={}), 0

    monkeypatch.setattr("algorithms.alerts.analyze_and_alert", analysis)
    with EmbeddedStore(tmp_path / "g.lbug", buffer_pool_mb=32) as store:
        store.init_schema()
        store.checkpoint()
        with store.batch():  # a day through the log
            store.upsert_nodes("Person", [{"person_key": f"p{i}"} for i in range(100)])
        logged = store.wal_bytes()
        record = daily.incremental(store, Settings(db=tmp_path / "g.lbug"))
        assert record["run_id"] == "r1"
        assert attempts == [(logged, True), (0, False)]  # the retry: the log in the file, rows copied
        assert store.log_writes is True  # and the next day goes through the log again
        assert store.counts()["nodes"]["Person"] == 100 and store.counts()["nodes"]["Firearm"] == 0


def test_a_store_without_a_log_has_nothing_to_free() -> None:
    with rows_copied(SimpleNamespace()) as freed:  # type: ignore[arg-type]  # Neo4j: no such step
        assert freed is False


def test_the_page_cache_setting_caps_every_command_s_store_and_is_named_when_it_is_too_small(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """TRACEGRAPH_BUFFER_POOL_MB bounds the engine's page cache of the store the commands open (unset: the
    engine's default, most of the machine's memory): a write that does not fit in 32 MB is refused, naming it."""
    keys = [f"F{i:09d}" for i in range(100_000)]
    rows = pa.table({"firearm_key": keys, "serial_number": keys})
    monkeypatch.setenv("TRACEGRAPH_DB", str(tmp_path / "g.lbug"))
    with Settings().open_store(upgrading=True) as store:
        store.init_schema()
        with store.batch():
            store.upsert_nodes("Firearm", rows)  # fits in the default cache
    monkeypatch.setenv("TRACEGRAPH_BUFFER_POOL_MB", "32")
    with Settings().open_store() as store, pytest.raises(StoreOutOfMemory) as caught, store.batch():
        store.upsert_nodes("Firearm", pa.table({"firearm_key": [k + "x" for k in keys], "serial_number": keys}))
    assert "TRACEGRAPH_BUFFER_POOL_MB" in str(caught.value)
    with Settings().open_store() as store:
        assert store.counts()["nodes"]["Firearm"] == 100_000  # the refused write left nothing
