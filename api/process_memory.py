"""Memory new to a short-lived process, taken where nobody waits for it (issue 21: the daily batch).

On this kind of machine (a virtual machine whose free memory goes back to its host), memory new to a process
costs far more than the work done in it: 800 MB taken afresh through Arrow took 4.8-7.9 CPU s, the same taken
again at once 0.15-0.19 s (docs/performance.md, first21). Arrow's default pool on Linux, mimalloc, gives what it
frees back to the kernel 10 ms later (its ``purge_delay``), so a national batch's stages, which allocate and free
hundreds of MB of Arrow buffers one after another, kept asking for new memory: with purging off, the batch's
analysis took 316k page faults instead of 429k-433k (batch 1) and 143k instead of 284k-292k (batch 2).

:func:`keep_arrow_memory` turns mimalloc's purging off for the process (``MIMALLOC_PURGE_DELAY=-1``, unless the
environment sets it): its resident memory then stays at Arrow's peak until it exits, which suits a command that
exits when its batch is done and not a server. mimalloc reads the setting when pyarrow loads it, so this must run
before pyarrow is imported: the command line calls it first thing (:func:`api.cli.root.main`, every command but
``serve``), and so does the daily batch's bench. Results do not depend on it.

:func:`heap_ahead` does the same for the C heap of a day's load (``tracegraph load day``): the engine's commit of a
national day allocates ~0.45 GB with ``malloc`` on the loading thread (its per-node-group relationship index:
docs/performance.md, mem24's section) and the rest of the day ~0.4 GB more (its tables, the side table's delta):
~158k pages that the loading thread faulted in one by one on the critical path. While the load runs, glibc's main
heap is grown :func:`heap_step` at a time and a thread of the lowest priority faults each new stretch in ahead
(``madvise(MADV_POPULATE_WRITE)``: the pages are made resident, their contents untouched), on the core the load
leaves idle; the loading thread's ``malloc`` then finds them resident. Results do not depend on it either.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

#: mimalloc's setting: how many ms after a free it gives the pages back (-1: never)
PURGE_DELAY = "MIMALLOC_PURGE_DELAY"

#: ``TRACEGRAPH_HEAP_AHEAD=0`` switches :func:`heap_ahead` off (on by default, as the embedded store's other
#: switches: :func:`graph.embedded_writes.switched_on`)
HEAP_AHEAD = "TRACEGRAPH_HEAP_AHEAD"
#: how far glibc's main heap grows at a time while :func:`heap_ahead` runs (its ``M_TOP_PAD``), at most: a national
#: day's load grew it by ~0.88 GB (0.30 before the commit, 0.46 in it, 0.12 after) with a 2.07 GB store file, and
#: the commit's part grows with the file's node groups, so half the file's size, up to this (:func:`heap_step`)
MAX_HEAP_STEP = 1 << 30
#: a store whose half is less than this is left to itself (a test's world: its day takes a few MB afresh)
MIN_HEAP_STEP = 32 << 20
#: allocations above this are ``mmap``'d by glibc, each one afresh (its ``M_MMAP_THRESHOLD``; 32 MB is the most it
#: takes and the most its own sliding threshold reaches): below it they come from the heap, whose freed top is kept
MMAP_THRESHOLD = 32 << 20
#: the populating thread's niceness (19: it runs only on a core nothing else wants)
POPULATE_NICE = 19
#: how much one ``madvise`` populates: short, so that the heap's growth on another thread never waits long
POPULATE_STEP = 2 << 20
#: glibc's own ``M_TOP_PAD`` (mallopt(3)), set again when the block ends
DEFAULT_TOP_PAD = 128 << 10
_M_TOP_PAD, _M_MMAP_THRESHOLD, _MADV_POPULATE_WRITE = -2, -3, 23
_PAGE = os.sysconf("SC_PAGESIZE") if hasattr(os, "sysconf") else 4096


def keep_arrow_memory() -> None:
    """Keep Arrow's freed memory in this process (see the module's docstring). Only takes effect before pyarrow is
    imported; a value the environment gives is left as it is."""
    os.environ.setdefault(PURGE_DELAY, "-1")


def _glibc() -> ctypes.CDLL | None:
    """The C library's functions :func:`heap_ahead` calls, or None where they are not glibc's (another platform,
    another libc): there the heap is left to itself."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.gnu_get_libc_version  # noqa: B018 (present in glibc only; mallopt's parameters are glibc's)
        libc.sbrk.restype = ctypes.c_void_p
        libc.sbrk.argtypes = [ctypes.c_long]
        libc.madvise.restype = ctypes.c_int
        libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        libc.mallopt.restype = ctypes.c_int
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    except (OSError, AttributeError):
        return None
    return libc


def _populate(libc: ctypes.CDLL, start: int, stop: threading.Event, populated: list[int]) -> None:
    """Until ``stop``: fault in every page the main heap grows by past ``start`` (the program break's moves), a short
    stretch at a time, at :data:`POPULATE_NICE`. A stretch given back meanwhile fails harmlessly (ENOMEM)."""
    with suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), POPULATE_NICE)  # (this thread: nice is per task)
    done = _page_up(start)
    while not stop.is_set():
        end = (libc.sbrk(0) or 0) // _PAGE * _PAGE
        done = min(done, end)  # (the heap's top given back: what grows again is new)
        while done < end and not stop.is_set():
            stretch = min(POPULATE_STEP, end - done)
            if libc.madvise(done, stretch, _MADV_POPULATE_WRITE) == 0:
                populated[0] += stretch
            done += stretch
        stop.wait(0.01)


def heap_step(store_bytes: int) -> int:
    """How far the heap is grown at a time while a day loads into a store file of ``store_bytes`` (0: not at all;
    see :data:`MAX_HEAP_STEP`)."""
    step = min(store_bytes // 2, MAX_HEAP_STEP)
    return step if step >= MIN_HEAP_STEP else 0


def _page_up(address: int) -> int:
    return (address + _PAGE - 1) // _PAGE * _PAGE


@contextmanager
def heap_ahead(step: int) -> Iterator[list[int] | None]:
    """While the block runs, glibc's main heap grows ``step`` bytes at a time and a thread of the lowest
    priority faults each new stretch in (see the module's docstring). When it ends the step is glibc's own again,
    so that what the block left unused goes back (the national bench's peak RSS was ~0.3 GB higher with the step
    kept through the analysis); the mmap threshold stays at :data:`MMAP_THRESHOLD`. Yields a one-item list
    counting the bytes populated (None: ``step`` 0, switched off by :data:`HEAP_AHEAD`, or no glibc)."""
    from graph.embedded_writes import switched_on  # (not at the top: keep_arrow_memory runs before pyarrow loads)

    libc = _glibc() if step > 0 and switched_on(HEAP_AHEAD) else None
    if libc is None:
        yield None
        return
    libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)  # (setting the pad freezes glibc's sliding threshold: at its
    libc.mallopt(_M_TOP_PAD, step)  # ceiling, the day's allocations up to 32 MB come from the heap)
    populated = [0]
    stop = threading.Event()
    start = libc.sbrk(0) or 0  # (read here: the caller's next malloc may grow the heap before the thread runs)
    thread = threading.Thread(target=_populate, args=(libc, start, stop, populated), name="heap-ahead", daemon=True)
    thread.start()
    try:
        yield populated
    finally:
        stop.set()
        thread.join()
        libc.mallopt(_M_TOP_PAD, DEFAULT_TOP_PAD)  # (what the block left unused goes back at glibc's next trim)
