"""An analysis that fills the embedded store's buffer pool is told what to do about an analysis: the load's
advice (a smaller --batch-rows) does not apply to it."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from api.services import daily
from api.settings import Settings
from graph.embedded_store import EmbeddedStore
from graph.errors import StoreOutOfMemory


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
