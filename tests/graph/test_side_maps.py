"""A side-table reader's maps (graph/side_maps.py): a keyed read's rows as a plain take gives them, and the file's
pages not left mapped in the process after it (national batch 1: 1.6 GB of the folder's 1.8 GB were)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather
import pytest

from graph import side_maps
from graph.side_index import KeyIndex, write_index
from graph.side_maps import Maps, take


def _mapped_kb(path: Path) -> int:
    """The process's resident pages of the file's maps (kB)."""
    total, inside = 0, False
    with open("/proc/self/smaps", encoding="utf-8") as handle:
        for line in handle:
            head = line.split()
            if "-" in head[0] and not head[0].endswith(":"):
                inside = len(head) > 5 and head[5] == str(path)
            elif inside and head[0] == "Rss:":
                total += int(head[1])
    return total


@pytest.fixture
def persons(tmp_path: Path) -> Path:
    count = 200_000
    table = pa.table({"key": [f"P{n:07d}" for n in range(count)],
                      "street": [f"{n % 977} Long Street Name, Apartment {n % 31}" for n in range(count)],
                      "record_count": np.arange(count, dtype=np.int64)})
    path = tmp_path / "base-persons.arrow"
    feather.write_feather(table, path, compression="uncompressed", chunksize=count)
    write_index(tmp_path / "base-persons.key.index", table["key"])
    return path


@pytest.mark.parametrize("asked", [10, 5_000])  # one take, and one cut in slices
def test_a_read_gives_the_rows_of_a_plain_take_and_leaves_no_page_mapped(persons: Path, asked: int) -> None:
    maps = Maps(budget=0)  # (every read's pages dropped)
    table = maps.table(persons)
    plain = feather.read_table(persons)
    rows = np.sort(np.random.default_rng(asked).choice(table.num_rows, asked, replace=False))
    got = take(table, rows, maps)
    assert got.equals(plain.take(pa.array(rows))) and got["key"].num_chunks == 1
    assert _mapped_kb(persons) == 0  # every page read was dropped from the process
    assert table.slice(7, 1)["key"][0].as_py() == "P0000007"  # and the table still reads (mapped again)


def test_a_keyed_lookup_through_the_maps_finds_what_one_without_them_finds(persons: Path) -> None:
    maps = Maps(budget=0)
    table = maps.table(persons)
    wanted = pa.array([f"P{n:07d}" for n in range(0, 200_000, 97)] + ["nobody"])
    found = KeyIndex(persons.with_name("base-persons.key.index"), maps).select(table, "key", wanted)
    unmapped = KeyIndex(persons.with_name("base-persons.key.index")).select(feather.read_table(persons), "key", wanted)
    assert found.equals(unmapped) and found.num_rows == len(wanted) - 1
    assert _mapped_kb(persons) == 0 and _mapped_kb(persons.with_name("base-persons.key.index")) == 0
    assert found.num_rows >= side_maps.CUT_FROM  # (the lookup was cut in slices)



@pytest.mark.parametrize(("budget", "kept"), [(1 << 30, True), (1 << 20, False)])
def test_pages_are_dropped_only_past_the_budget(persons: Path, budget: int, kept: bool) -> None:
    """A read that leaves the process's file pages under the budget keeps them (read again without faults); one
    that passes it drops them."""
    maps = Maps(budget=budget)
    table = maps.table(persons)
    got = take(table, np.arange(0, table.num_rows, 50), maps)  # (~10 MB of pages: every one of the file's)
    assert got.num_rows == table.num_rows // 50
    assert (_mapped_kb(persons) > 0) is kept
