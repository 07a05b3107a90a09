"""The side table's files memory-mapped by a reader, and their pages given back after each keyed read (issue 21).

A keyed read of a base part takes a day's rows from a table of millions (:mod:`graph.side_index`): ~50k persons,
their purchases, guns and recoveries, lie on every page of their files, and every page fault maps the 64 KB around
it (the kernel's fault-around, which ``MADV_RANDOM`` does not turn off). Left mapped, national batch 1's person
lane held 1.6 GB of the folder's 1.8 GB as the process's file pages (RssFile) until the lane ended: memory that
follows the history, not the day. A reader here maps each file itself (:class:`Maps`), takes a large read's rows a
slice of the table at a time (:func:`take`), and drops the pages from the process whenever they exceed a budget
(``MADV_DONTNEED``: the pages stay in the kernel's page cache, so reading them again costs a minor fault, not a
disk read). The files are never written in place (a part is written once under a new name, the base anew after
the folder is deleted), so a page dropped and read again is the page that was there.
"""

from __future__ import annotations

import mmap
import weakref
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather

#: the slices a large take is cut into (the pages of one slice of every column are mapped at a time)
SLICES = 16
#: rows taken in one go below this (a smaller read maps fewer pages than the calls of a cut cost)
CUT_FROM = 1024
#: the file pages the process may map beyond those it had when a reader's maps were made before a read drops them:
#: dropping them after every read cost each read its faults again (~3.5 ms a read of 10 persons against 0.1 with
#: its pages mapped), so they are dropped only when the reads so far hold more than this
BUDGET = 128 << 20


def file_pages() -> int:
    """The process's resident file-backed memory now, bytes (``RssFile``)."""
    with open("/proc/self/status", "rb") as handle:
        for line in handle:
            if line.startswith(b"RssFile:"):
                return int(line.split()[1]) << 10
    return 0


class Maps:
    """The memory maps of one reader's files, whose pages :meth:`release` drops from the process (:meth:`trim`:
    when they hold more than ``budget`` bytes)."""

    def __init__(self, budget: int = BUDGET) -> None:
        # (weak: a map goes when the last table over it does, as the membership index's when it is closed)
        self._maps: list[weakref.ref[mmap.mmap]] = []
        self.budget = budget
        self._floor = file_pages()

    def table(self, path: Path) -> pa.Table:
        """The Arrow IPC file at ``path``, its buffers in a map of this reader's (as ``feather.read_table(path,
        memory_map=True)`` reads it)."""
        if not path.stat().st_size:  # (nothing to map: let Arrow say what is wrong with the file)
            return feather.read_table(path)
        with open(path, "rb") as handle:
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        self._maps.append(weakref.ref(mapped))  # (the table's buffers hold the map)
        return pa.ipc.open_file(pa.py_buffer(mapped)).read_all()

    def release(self) -> None:
        """Drop every mapped page from the process (the tables stay valid: a page is mapped again when read)."""
        live = [(ref, mapped) for ref in self._maps if (mapped := ref()) is not None]
        self._maps = [ref for ref, _mapped in live]
        for _ref, mapped in live:
            mapped.madvise(mmap.MADV_DONTNEED)

    def trim(self) -> None:
        """:meth:`release` when the process maps more than ``budget`` bytes of files beyond what it did when the maps
        were made (another reader's pages count too: dropped too often, never too seldom)."""
        if not self.budget or file_pages() - self._floor > self.budget:
            self.release()


def take(table: pa.Table, rows: np.ndarray, maps: Maps | None) -> pa.Table:
    """``table.take(rows)`` (``rows`` ascending), a slice of ``table`` at a time when the read is large, ``maps``'
    pages trimmed after each slice and after the read (:meth:`Maps.trim`): the process maps its budget and a
    slice's pages, not the table's."""
    if maps is None:
        return table.take(pa.array(rows))
    if len(rows) < CUT_FROM or table.num_rows <= SLICES:
        got = table.take(pa.array(rows))
        maps.trim()
        return got
    step = -(-table.num_rows // SLICES)
    pieces = []
    for part in np.split(rows, np.searchsorted(rows, np.arange(step, table.num_rows, step))):
        if len(part):
            start = int(part[0]) // step * step
            pieces.append(table.slice(start, step).take(pa.array(part - start)))
            maps.trim()
    return pa.concat_tables(pieces).combine_chunks()
