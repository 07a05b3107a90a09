"""Embedded-store behaviour beyond the shared contract: what survives a close and reopen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from graph import embedded_rel_reads
from graph.embedded_store import EmbeddedStore
from graph.store import Result


def flows(n: int, run: str) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    keys = [f"city:US-XX:C{i}" for i in range(60)]
    frame = pd.DataFrame({"from_key": rng.choice(keys, n), "to_key": rng.choice(keys, n),
                          "year": rng.integers(2010, 2020, n), "basis": "traces", "level": "city",
                          "firearms": rng.integers(1, 50, n), "score": rng.normal(size=n), "analysis_run_id": run})
    return frame.drop_duplicates(["from_key", "to_key", "year"]).reset_index(drop=True)


def test_updating_relationships_keeps_every_property_across_reopen(tmp_path: Path) -> None:
    """Relationship updates merge new values into stored ones (nulls never erase) and survive a reopen.

    Kùzu 0.11.3 nulled other properties of SET-updated relationships at checkpoint on a demo store (22 of 1,751
    FLOW years; see docs/architecture.md). The store now updates relationships by delete + COPY. The corruption
    did not reproduce on this small synthetic graph, so this test guards the merge semantics, not the bug."""
    db = tmp_path / "flows.lbug"
    rows = flows(3000, "run-1")
    with EmbeddedStore(db) as store:
        store.init_schema()
        store.upsert_nodes("Location", [{"location_key": k} for k in sorted(set(rows.from_key) | set(rows.to_key))])
        store.upsert_relationships("FLOW", "Location", "Location", rows)
        summary = store.upsert_relationships("FLOW", "Location", "Location",
                                             rows.assign(analysis_run_id="run-2", score=None))
        assert summary.changed == len(rows)
    with EmbeddedStore(db) as store:
        got = store.edge_list("FLOW", "Location", "Location",
                              ("year", "basis", "firearms", "score", "analysis_run_id")).to_pandas()
    assert len(got) == len(rows)
    assert got["year"].notna().all() and got["firearms"].notna().all() and got["score"].notna().all()
    assert set(got["analysis_run_id"]) == {"run-2"}
    merged = got.merge(rows.rename(columns={"from_key": "src", "to_key": "dst"}), on=["src", "dst", "year"],
                       suffixes=("", "_sent"))
    assert len(merged) == len(rows)
    assert (merged["firearms"] == merged["firearms_sent"]).all()
    assert np.allclose(merged["score"], merged["score_sent"])  # null in the update never erases


# the type read whole and deleted by a join; node by node (stored rows read and deleted per node); joins
@pytest.mark.parametrize(("whole", "ratio"), [(50, 0), (0, 0), (0, 10**9)])
def test_a_relationship_update_replaces_exactly_the_rows_it_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  whole: int, ratio: int) -> None:
    """Some of the stored FLOW rows updated (their key: both ends, year, basis): those rows carry the new values,
    every other row (the same ends in other years or bases included) stays as it was, none is doubled."""
    monkeypatch.setattr(embedded_rel_reads, "SCAN_RATIO", whole)
    monkeypatch.setattr(embedded_rel_reads, "PER_NODE_RATIO", ratio)
    rows = flows(3000, "run-1")
    rows = pd.concat([rows, rows.assign(basis="states")], ignore_index=True)  # same ends and year, other basis
    with EmbeddedStore(tmp_path / "flows.lbug") as store:
        store.init_schema()
        store.upsert_nodes("Location", [{"location_key": k} for k in sorted(set(rows.from_key) | set(rows.to_key))])
        store.upsert_relationships("FLOW", "Location", "Location", rows)
        changed = rows[(rows["basis"] == "traces") & (rows.index % 3 == 0)].assign(firearms=-1, analysis_run_id="r2")
        summary = store.upsert_relationships("FLOW", "Location", "Location", changed)
        assert summary.changed == len(changed) > 100
        got = store.edge_list("FLOW", "Location", "Location", ("year", "basis", "firearms", "analysis_run_id"))
    got = got.to_pandas().rename(columns={"src": "from_key", "dst": "to_key"})
    key = ["from_key", "to_key", "year", "basis"]
    assert len(got) == len(rows) and not got.duplicated(key).any()
    want = rows.set_index(key)[["firearms", "analysis_run_id"]].copy()
    want.loc[changed.set_index(key).index, ["firearms", "analysis_run_id"]] = [-1, "r2"]
    have = got.set_index(key)[["firearms", "analysis_run_id"]].reindex(want.index)
    assert (have["firearms"].to_numpy() == want["firearms"].to_numpy()).all()
    assert (have["analysis_run_id"].to_numpy() == want["analysis_run_id"].to_numpy()).all()


def _store_before_batch_id(path: Path) -> Path:
    """A store written by a schema without ``Firearm.batch_id``, holding one firearm (model G19)."""
    from dataclasses import replace

    from graph.schema import SCHEMA, Schema

    firearm = SCHEMA.node("Firearm")
    older = Schema(relationships=SCHEMA.relationships, nodes=tuple(
        replace(n, properties=tuple(p for p in n.properties if p.name != "batch_id")) if n is firearm else n
        for n in SCHEMA.nodes))
    with EmbeddedStore(path, schema=older) as store:
        store.init_schema()
        store.upsert_nodes("Firearm", pa.table({"firearm_key": ["G1"], "model": ["G19"]}))
    return path


def test_init_schema_adds_properties_an_older_store_lacks(tmp_path: Path) -> None:
    """A store created before a property was added to the schema gains the column on the next init_schema,
    and its data stays (else the next analyze fails writing the new property)."""
    path = _store_before_batch_id(tmp_path / "old.lbug")
    with EmbeddedStore(path) as store:
        store.init_schema()
        store.upsert_nodes("Firearm", pa.table({"firearm_key": ["G1"], "batch_id": ["B-1"]}))
        row = store.node_table("Firearm", ("model", "batch_id")).to_pylist()
        assert row == [{"key": "G1", "model": "G19", "batch_id": "B-1"}]
        assert store.migrate() == []  # nothing left to add


def test_init_schema_renames_flow_source_to_basis_keeping_the_data(tmp_path: Path) -> None:
    """Stores written before FLOW.source became FLOW.basis keep every flow: the column is renamed in place, so
    ATF's counts and the analysis' scores survive and are found under the new name."""
    from dataclasses import replace

    from graph.schema import SCHEMA, Schema

    flow = SCHEMA.relationship("FLOW")
    old_props = tuple(replace(p, name="source", renamed_from=None) if p.name == "basis" else p
                      for p in flow.properties if p.name not in ("dataset", "trend_slope"))
    older = Schema(nodes=SCHEMA.nodes, relationships=tuple(
        replace(r, properties=old_props, key=("year", "source")) if r is flow else r for r in SCHEMA.relationships))
    path = tmp_path / "old.lbug"
    with EmbeddedStore(path, schema=older) as store:
        store.init_schema()
        store.upsert_nodes("Location", [{"location_key": "state:US-GA"}, {"location_key": "state:US-NY"}])
        store.upsert_relationships("FLOW", "Location", "Location", [
            {"from_key": "state:US-GA", "to_key": "state:US-NY", "year": 2016, "source": "atf_table",
             "level": "state", "firearms": 438, "score": 0.74}])
    with EmbeddedStore(path) as store:
        store.init_schema()
        rows = store.edge_list("FLOW", "Location", "Location", ("year", "basis", "firearms", "score")).to_pylist()
        assert rows == [{"src": "state:US-GA", "dst": "state:US-NY", "year": 2016, "basis": "atf_table",
                         "firearms": 438, "score": 0.74}]
        assert store.migrate() == []
        store.upsert_relationships("FLOW", "Location", "Location", [
            {"from_key": "state:US-GA", "to_key": "state:US-NY", "year": 2016, "basis": "atf_table",
             "dataset": "final_source_recovery_by_state-cy_2016.xlsx"}])
        assert store.edge_list("FLOW", "Location", "Location", ("firearms", "dataset")).to_pylist()[0][
            "firearms"] == 438


def test_a_batch_larger_than_the_buffer_pool_is_refused_in_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    """Seen at national scale: a 250k-row multiple-sales batch filled a 5 GB pool. The user is told what to do, and
    the rolled-back batch leaves nothing behind (a 32 MB pool and 100k firearms reproduce it in ~3 s)."""
    import pytest

    from graph.errors import StoreOutOfMemory

    keys = [f"F{i:09d}" for i in range(100_000)]
    with EmbeddedStore(tmp_path / "g.lbug", buffer_pool_mb=32) as store:
        store.init_schema()
        with pytest.raises(StoreOutOfMemory, match=r"smaller --batch-rows") as caught, store.batch():
            store.upsert_nodes("Firearm", pa.table({"firearm_key": keys, "serial_number": keys}))
        assert "\n" not in str(caught.value)
        assert caught.value.exit_code == 2 and caught.value.http_status == 503
        assert store.counts()["nodes"].get("Firearm", 0) == 0


def test_batch_after_batch_of_updates_does_not_fill_the_buffer_pool(tmp_path: Path) -> None:
    """LadybugDB keeps the pool memory a committed transaction used until the database is closed; the national
    multiple-sales load (each batch re-writing ~50k existing SOLD relationships) filled a 12 GB pool that way. With
    a 128 MB pool, 50k relationships updated twelve times failed at the third batch before the store reopened the
    database after each one."""
    import pyarrow as pa

    keys = [f"F{i:09d}" for i in range(50_000)]
    dealers = [f"D{i % 100}" for i in range(50_000)]
    with EmbeddedStore(tmp_path / "g.lbug", buffer_pool_mb=128) as store:
        store.init_schema()
        with store.batch():
            store.upsert_nodes("Firearm", pa.table({"firearm_key": keys, "serial_number": keys}))
            store.upsert_nodes("Dealer", pa.table({"dealer_key": sorted(set(dealers))}))
        for day in range(12):
            with store.batch():
                summary = store.upsert_relationships("SOLD", "Dealer", "Firearm", pa.table(
                    {"from_key": dealers, "to_key": keys, "license_number_quoted": [f"q{day}"] * len(keys)}))
            assert summary.created == (len(keys) if day == 0 else 0)
        quoted = store._execute("MATCH ()-[e:SOLD]->() RETURN DISTINCT e.license_number_quoted AS q").arrow()
        assert quoted.column("q").to_pylist() == ["q11"]


def test_a_migration_rolled_back_is_asked_for_again(tmp_path: Path) -> None:
    """The store migrates once per open (a day's loads each ask), but a migration its transaction rolled back is
    done again when next asked: the column is there afterwards and takes values."""
    path = _store_before_batch_id(tmp_path / "old.lbug")
    with EmbeddedStore(path) as store:
        with pytest.raises(RuntimeError, match="undone"), store.batch():
            assert store.migrate() == ["Firearm.batch_id"]
            raise RuntimeError("undone")
        assert store.migrate() == ["Firearm.batch_id"]
        assert store.migrate() == []
        store.upsert_nodes("Firearm", pa.table({"firearm_key": ["G1"], "batch_id": ["B-1"]}))
        assert store.node_table("Firearm", ("model", "batch_id")).to_pylist() == [
            {"key": "G1", "model": "G19", "batch_id": "B-1"}]


def test_a_new_store_gets_its_tables_in_one_transaction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new store's tables are created in one commit (one flush of the committed-size marker, not one a table):
    an init that fails part way leaves no table at all, and the next init makes them all."""
    from graph import embedded_log, embedded_store
    from graph.ddl import embedded_ddl

    real = list(embedded_ddl(embedded_store.SCHEMA))
    monkeypatch.setattr(embedded_store, "embedded_ddl", lambda schema: [*real[:5], "CREATE NODE TABLE broken(", *real])
    db = tmp_path / "g.lbug"
    with EmbeddedStore(db) as store:
        with pytest.raises(Exception, match=r"(?i)parser|syntax"):
            store.init_schema()
        assert store._execute("CALL show_tables() RETURN name").df().empty  # the first five were rolled back
    monkeypatch.undo()
    notes: list[int | None] = []
    note = embedded_log.note_commit
    monkeypatch.setattr(embedded_store, "note_commit", lambda path, size=None: notes.append(size) or note(path, size))
    with EmbeddedStore(db) as store:
        store.init_schema()
        tables = set(store._execute("CALL show_tables() RETURN name").df()["name"])
        assert len(tables) == len(real) and {"Dealer", "Person", "IN_STRAW_KEY"} <= tables
    assert len(notes) <= 2, notes  # the open's note and the tables' one commit (one a table before)


def test_a_node_update_keeps_the_stored_value_where_a_row_sends_null_and_names_others_plainly(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Dealers rescored with a random share of their six scores null (more sets of changed properties than the
    update has statements): every sent value is stored, every null keeps the stored value; the statements name a
    property without ``coalesce`` wherever every row of theirs sends a value (the common sets), with it only where
    some row sends null (the merged rare sets)."""
    rng = np.random.default_rng(3)
    props = ["anomaly_score", "expected_traces", "short_ttc_share", "multiple_sale_share", "obliterated_share"]
    keys = [f"1-54-{i:05d}" for i in range(400)]
    before = pd.DataFrame({"dealer_key": keys, "trace_count": rng.integers(0, 50, 400),
                           **{p: rng.uniform(size=400) for p in props}})
    update = before.assign(trace_count=before["trace_count"] + 1, **{p: rng.uniform(size=400) for p in props})
    update = update.astype({"trace_count": "Int64"})
    sent = rng.uniform(size=(400, 6)) < 0.5
    for i, p in enumerate(["trace_count", *props]):
        update.loc[~sent[:, i], p] = None
    with EmbeddedStore(tmp_path / "dealers.lbug") as store:
        store.init_schema()
        store.upsert_nodes("Dealer", before)
        statements: list[tuple[str, pa.Table]] = []
        execute = store._execute

        def spy(text: str, params: dict[str, Any] | None = None) -> Result:
            if " SET " in text and params is not None:
                statements.append((text, params["batch"]))
            return execute(text, params)

        monkeypatch.setattr(store, "_execute", spy)
        store.upsert_nodes("Dealer", update)
        monkeypatch.undo()
        got = store.node_table("Dealer", ("trace_count", *props)).to_pandas().set_index("key")
    want = update.set_index("dealer_key").combine_first(before.set_index("dealer_key"))
    for p in ["trace_count", *props]:
        assert np.allclose(got.loc[want.index, p].astype(float), want[p].astype(float)), p
    plain = coalesced = 0
    for text, batch in statements:
        for column in batch.column_names[1:]:
            name = column.removeprefix("_c_")
            has_null = batch.column(column).null_count > 0
            assert (f"coalesce({column}, n.`{name}`)" in text) == has_null, (name, text)
            plain += not has_null
            coalesced += has_null
    assert plain > 0 and coalesced > 0
