"""The side table's base lookups by index (graph/side_index.py): exactly the rows a scan of the column finds, in
the table's order, whatever the hashes do."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from graph import side_index


def _table() -> pa.Table:
    keys = [f"P{n % 37:04d}" if n % 5 else None for n in range(400)]  # repeated keys, and nulls
    return pa.table({"key": pa.array(keys, pa.string()), "row": pa.array(range(400), pa.int64())})


def _scan(table: pa.Table, wanted: pa.Array) -> pa.Table:
    return table.filter(pc.is_in(table["key"], value_set=wanted))


@pytest.fixture
def index(tmp_path: Path) -> side_index.KeyIndex:
    side_index.write_index(tmp_path / "key.index", _table()["key"])
    return side_index.KeyIndex(tmp_path / "key.index")


def test_a_lookup_finds_what_a_scan_finds_in_the_tables_order(index: side_index.KeyIndex) -> None:
    table = _table()
    wanted = pa.array(["P0003", "P0036", "P0001", "absent", "", "P0036"], pa.string())  # (a key asked twice)
    found = index.select(table, "key", wanted)
    assert found.equals(_scan(table, wanted))
    assert found.num_rows > 20 and set(found["key"].to_pylist()) == {"P0003", "P0036", "P0001"}


def test_keys_absent_from_the_base_find_nothing(index: side_index.KeyIndex) -> None:
    assert index.select(_table(), "key", pa.array(["P9999", "Q0001"], pa.string())).num_rows == 0
    assert index.select(_table(), "key", pa.array([], pa.string())).num_rows == 0


def test_values_sharing_a_hash_are_told_apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every value hashing alike (the worst collisions): a lookup still returns only the keys asked for."""
    monkeypatch.setattr(side_index, "key_hashes", lambda values: np.zeros(len(values), np.uint64))
    side_index.write_index(tmp_path / "key.index", _table()["key"])
    index = side_index.KeyIndex(tmp_path / "key.index")
    for asked in (["P0002"], ["P0002", "P0005", "P0002"], ["absent", "P0007"]):  # (asked values sharing it too)
        wanted = pa.array(asked, pa.string())
        found = index.select(_table(), "key", wanted)
        assert found.equals(_scan(_table(), wanted))
        assert set(found["key"].to_pylist()) == set(asked) - {"absent"}


def test_a_null_asked_finds_the_null_rows_as_a_scan_does(index: side_index.KeyIndex) -> None:
    wanted = pa.array(["P0004", None], pa.string())
    found = index.select(_table(), "key", wanted)
    assert found.equals(_scan(_table(), wanted))
    assert found["key"].null_count == 80


def test_a_values_hash_does_not_depend_on_its_neighbours() -> None:
    """The base is hashed in steps and chunks, the keys asked for alone: a value hashes the same either way."""
    values = ["a", "ab", "abcdefgh", "abcdefghi", "x" * 40, "P00000b6a14f93b5d", "ünïcode|key"]
    alone = np.concatenate([side_index.key_hashes(pa.array([v])) for v in values])
    chunked = pa.chunked_array([pa.array(values[:3]), pa.array(values[3:])])
    assert (side_index.key_hashes(chunked) == alone).all()
    assert (side_index.key_hashes(pa.array(values, pa.large_string())) == alone).all()
    assert (side_index.key_hashes(pa.array(["zz", *values]).slice(1)) == alone).all()
    assert len(set(alone.tolist())) == len(values)


@pytest.mark.parametrize("rows_per_key", [1, 2, 4, 5, 9])
def test_a_lookup_finds_every_row_of_a_key_however_many(tmp_path: Path, rows_per_key: int) -> None:
    """A key's rows are found by stepping along its run of hashes, then searched past a few steps: short and long
    runs, and keys at either end of the index, all come back whole."""
    keys = [f"K{n % 50:03d}" for n in range(50 * rows_per_key)]
    table = pa.table({"key": pa.array(keys, pa.string()), "row": pa.array(range(len(keys)), pa.int64())})
    side_index.write_index(tmp_path / "key.index", table["key"])
    index = side_index.KeyIndex(tmp_path / "key.index")
    order = np.argsort(side_index.key_hashes(pa.array([f"K{n:03d}" for n in range(50)])))
    ends = pa.array([f"K{order[0]:03d}", f"K{order[-1]:03d}", "K007", "absent"], pa.string())
    for wanted in (ends, pa.array(sorted(set(keys)), pa.string())):
        found = index.select(table, "key", wanted)
        assert found.equals(_scan(table, wanted))
        assert found.num_rows == rows_per_key * len(set(wanted.to_pylist()) & set(keys))
