"""A side table's keyed lookups at the cost of the keys asked for, not of the column (:mod:`graph.side_table`).

A keyed read filtered a memory-mapped column with ``pc.is_in``: every row of the column hashed and probed, ~0.03
CPU s per read of a national table and 1.6 CPU s over the ~550 reads of a national batch. The base part, written
once a week, carries beside each column a reader looks rows up by an *index*: the column's 64-bit hashes
(:func:`key_hashes`) sorted, and the row each came from. A lookup hashes the keys asked for, finds their runs in the
sorted hashes (``numpy.searchsorted``), takes those rows and keeps the ones whose value is one of the keys (a hash
shared by another value is no match: the result is exact). The delta parts, small, are filtered as before.

:func:`first_rows` finds each distinct row's first occurrence over the columns' dictionary codes: the reads'
de-duplication (``side_table._once``) and the neighbourhood's (:mod:`algorithms.frames`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.feather as feather

from graph.side_maps import Maps, take

#: rows hashed per step (bounds the temporary arrays)
_STEP = 1 << 18
#: the steps a lookup takes along a key's run of rows before it searches for the run's end
_STEPS = 4
_MULTIPLY = np.uint64(0x9E3779B97F4A7C15)
_MIX = np.uint64(0xBF58476D1CE4E5B9)
#: the low ``n`` bytes of a word, n = 0..8
_MASKS = np.array([(1 << (8 * n)) - 1 for n in range(9)], dtype=np.uint64)


def key_hashes(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A 64-bit hash of each string of ``values`` (a null hashes as the empty string: a lookup checks the values).

    >>> bool(key_hashes(pa.array(["P1", "P2"]))[0] != key_hashes(pa.array(["P2"]))[0])
    True
    """
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    parts = [_chunk_hashes(chunk.slice(start, _STEP)) for chunk in chunks for start in range(0, len(chunk), _STEP)]
    return np.concatenate(parts) if parts else np.empty(0, np.uint64)


def _chunk_hashes(chunk: pa.Array) -> np.ndarray:
    if not len(chunk):
        return np.empty(0, np.uint64)
    if not pa.types.is_large_string(chunk.type):
        chunk = chunk.cast(pa.large_string())
    offsets = np.frombuffer(chunk.buffers()[1], np.int64)[chunk.offset:chunk.offset + len(chunk) + 1]
    first, last = int(offsets[0]), int(offsets[-1])
    data_buffer = chunk.buffers()[2]
    data = np.frombuffer(data_buffer, np.uint8)[first:last] if data_buffer is not None and last > first \
        else np.empty(0, np.uint8)
    starts = offsets[:-1] - first
    lengths = offsets[1:] - offsets[:-1]
    padded = np.zeros(len(data) + 8, np.uint8)
    padded[:len(data)] = data
    # the 8 bytes from each byte on, as a little-endian word (an unaligned view: no copy)
    words = np.ndarray((len(data) + 1,), dtype="<u8", buffer=padded, strides=(1,))
    hashes = lengths.astype(np.uint64) * _MULTIPLY
    for word in range((int(lengths.max()) + 7) // 8):
        at = np.minimum(starts + 8 * word, len(data))  # (a word past a value's end is masked to 0)
        valid = np.clip(lengths - 8 * word, 0, 8)
        value = words[at] & _MASKS[valid]
        mixed = (hashes ^ value) * _MULTIPLY
        mixed ^= mixed >> np.uint64(29)
        hashes = np.where(valid > 0, mixed, hashes)  # a value's hash does not depend on the longest beside it
    hashes *= _MIX
    hashes ^= hashes >> np.uint64(32)
    return hashes


def index_table(column: pa.ChunkedArray | pa.Array) -> pa.Table:
    """The index of a column: its hashes sorted and the row of each."""
    hashes = key_hashes(column)
    order = np.argsort(hashes, kind="stable")
    return pa.table({"hash": pa.array(hashes[order]), "row": pa.array(order.astype(np.uint32 if len(order) < 2**32
                                                                                 else np.uint64))})


def write_index(path: Path, column: pa.ChunkedArray | pa.Array) -> None:
    """Write a column's index as one uncompressed record batch (read back as two contiguous arrays)."""
    index = index_table(column)
    feather.write_feather(index, path, compression="uncompressed", chunksize=max(index.num_rows, 1))


class KeyIndex:
    """A memory-mapped index of one column of a base part (``maps``: the reader's maps, whose pages each
    :meth:`select` drops after its take, :mod:`graph.side_maps`)."""

    def __init__(self, path: Path, maps: Maps | None = None) -> None:
        self.maps = maps
        index = (maps.table(path) if maps is not None else feather.read_table(path, memory_map=True)).combine_chunks()
        self.hashes = index["hash"].chunk(0).to_numpy() if index.num_rows else np.empty(0, np.uint64)
        self.rows = index["row"].chunk(0).to_numpy() if index.num_rows else np.empty(0, np.uint32)

    def close(self) -> None:
        """Let go of the memory map (its pages count in the process's RSS while it is open): finds nothing after."""
        self.hashes, self.rows = np.empty(0, np.uint64), np.empty(0, np.uint32)

    def rows_of(self, wanted: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """The rows (ascending, each once) whose value hashes as one of ``wanted``: a superset of the matches."""
        return self._found(wanted)[0]

    def _found(self, wanted: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, bool]:
        """:meth:`rows_of`, the position in ``wanted`` of the value each row hashed as (the first of equal
        hashes), and whether two different values of ``wanted`` share a hash (each row's value is then one of
        several)."""
        hashes = key_hashes(wanted)
        order = np.argsort(hashes, kind="stable")  # (numpy's unique hashes its values first: slower than a sort)
        asked = hashes[order]
        shared = False
        if len(asked) > 1:
            first = np.concatenate([[True], asked[1:] != asked[:-1]])
            again = np.flatnonzero(~first)
            if len(again):  # a value asked twice, or two values with one hash (the rows then are checked whole)
                values = wanted.take(pa.array(order[again]))
                firsts = wanted.take(pa.array(order[again - 1]))
                shared = not pc.all(pc.equal(values, firsts)).as_py()  # (a null: the caller checks them all)
            asked, order = asked[first], order[first]
        low = np.searchsorted(self.hashes, asked, side="left")
        # each hit's run of equal hashes (a value's rows, and rarely another's sharing its hash), found by stepping
        # from its first position: most runs are a key's few rows, so a few steps over the hits cost less than a
        # second binary search of every key (national batch 1's person lane: 0.30 -> 0.26 CPU s); the runs still
        # going after them are searched
        counts = np.zeros(len(asked), np.int64)
        live = np.flatnonzero(low < len(self.hashes))
        live = live[self.hashes[low[live]] == asked[live]]
        for step in range(1, _STEPS + 1):
            counts[live] += 1
            at = low[live] + step
            inside = at < len(self.hashes)
            live = live[inside]
            live = live[self.hashes[at[inside]] == asked[live]]
            if not len(live):
                break
        if len(live):
            counts[live] = np.searchsorted(self.hashes, asked[live], side="right") - low[live]
        hit = counts > 0
        low, counts, order = low[hit], counts[hit], order[hit]
        total = int(counts.sum())
        if not total:
            return np.empty(0, np.int64), np.empty(0, np.int64), shared
        # the positions low[i] .. low[i] + counts[i] - 1 of every hit, flattened
        ends = np.cumsum(counts)
        positions = np.arange(total) - np.repeat(ends - counts, counts) + np.repeat(low, counts)
        # (each position once, as each asked hash is once: the rows are distinct, only their order is wanted)
        rows = self.rows[positions].astype(np.int64)
        ascending = np.argsort(rows)
        return rows[ascending], np.repeat(order, counts)[ascending], shared

    def select(self, table: pa.Table, column: str, wanted: pa.Array | pa.ChunkedArray) -> pa.Table:
        """The rows of ``table`` (the indexed part) whose ``column`` is one of ``wanted``, in the table's order:
        each row found is compared with the value whose hash found it (``is_in`` would hash the asked values
        again), or looked up among them all where two of them share a hash or one is null."""
        rows, keys, shared = self._found(wanted)
        got = take(table, rows, self.maps)
        if not got.num_rows:
            return got
        values = got[column]
        if shared or wanted.null_count or values.type != wanted.type:
            return got.filter(pc.is_in(values, value_set=wanted))
        return got.filter(pc.equal(values, wanted.take(pa.array(keys))))


def first_rows(columns: list[pa.Array | pa.ChunkedArray]) -> np.ndarray:
    """The positions of each distinct row's first occurrence, ascending (nulls equal to nulls), over the columns'
    dictionary codes combined into one integer per row: Arrow's hash group-by costs ~5 times as much on two string
    columns, pandas' ``drop_duplicates`` ~3 times (it factorises each Arrow string column in Python objects)."""
    key: np.ndarray | None = None
    size = 1
    for column in columns:
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        if pa.types.is_null(column.type):  # (an all-null column: one value)
            continue
        encoded = pc.dictionary_encode(column, null_encoding="encode")
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        count = max(len(encoded.dictionary), 1)
        if key is None:
            key, size = codes, count
            continue
        if size * count >= 1 << 62:  # renumbered densely before the product could overflow
            _, key = np.unique(key, return_inverse=True)
            size = int(key.max()) + 1
        key = key * count + codes
        size *= count
    if key is None:  # (no column, or only null ones: one row)
        return np.arange(min(len(columns[0]) if columns else 0, 1))
    return np.flatnonzero(~pd.Series(key).duplicated().to_numpy())
