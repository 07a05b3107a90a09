"""The embedded store's write-ahead log after a failed write: cut back to its last commit.

A day's commits go to the engine's write-ahead log (:mod:`graph.embedded_writes`) and wait there for the nightly
checkpoint. A write that fails halfway - the disk fills, the process is killed mid-write - leaves a torn record at
the log's end, and LadybugDB 0.22 then refuses the whole log ("Checksum verification failed, the WAL file is
corrupted"): the store does not open, and opening it with ``throw_on_wal_replay_failure=False`` drops every commit
since the last checkpoint (tests/loaders/test_disk_full.py found it). The log is append-only, so the bytes up to the
end of the last commit are still a whole log.

So the store keeps, beside the log, the log's size at its last commit (``NAME.wal.committed``, written after every
commit and every successful open for writing), and an open the engine refuses for a corrupted log is retried once
after :func:`cut_torn_log` has truncated the log there. Every commit is kept; the failed write, which the command
reported as failed, is not applied. Measured by hand first: a log torn by a full disk at 6.27 MB opened with all
40,000 committed rows once cut back to its size at the last commit.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import ladybug

from graph.embedded_writes import wal_path
from graph.errors import StoreUnavailable

log = logging.getLogger("tracegraph.store")

#: The engine's words for a log it cannot replay (LadybugDB 0.22.0).
TORN_LOG_MESSAGES = ("wal file is corrupted", "corrupted wal file", "checksum verification failed")


def committed_path(store: Path) -> Path:
    """Where the log's size at its last commit is kept (``NAME.wal.committed``)."""
    return store.with_name(store.name + ".wal.committed")


def is_torn_log_error(message: str) -> bool:
    """Whether the engine refused to open a store because its write-ahead log cannot be replayed."""
    lowered = message.lower()
    return any(words in lowered for words in TORN_LOG_MESSAGES)


def log_bytes(store: Path) -> int:
    """The size of the store's write-ahead log now (0 without one)."""
    wal = wal_path(store)
    return wal.stat().st_size if wal.exists() else 0


def committed_bytes(store: Path) -> int | None:
    """The log's size at its last recorded commit, or None when none is recorded (an older store, or a marker
    that cannot be read)."""
    try:
        text = committed_path(store).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def note_commit(store: Path, size: int | None = None) -> int:
    """Record the log's size after a commit (or a successful open for writing): the point a torn log is cut back
    to. Written to a temporary file and renamed over the marker, so a crash leaves the old value or the new, never
    half of one. Returns the size recorded."""
    size = log_bytes(store) if size is None else size
    marker = committed_path(store)
    temporary = marker.with_name(marker.name + ".tmp")
    with open(temporary, "w", encoding="ascii") as handle:
        handle.write(f"{size}\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, marker)
    return size


def cut_torn_log(store: Path) -> int:
    """Cut a torn write-ahead log back to its size at the last commit; returns the bytes cut (0 when there is
    nothing to cut: no marker, or the log is not longer than it). The bytes are dropped, not kept: they are the
    start of a write the engine cannot replay (its command failed and said so), and may hold personal data that
    retention must not have to find in a side file."""
    committed = committed_bytes(store)
    size = log_bytes(store)
    if committed is None or size <= committed:
        return 0
    with open(wal_path(store), "r+b") as log:
        log.truncate(committed)
        os.fsync(log.fileno())
    return size - committed


#: Engine handles of stores whose write failed on a full disk: LadybugDB 0.22 aborts the process (C++ terminate)
#: when such a database is closed - its log writer flushes into the full disk from a destructor - so they are kept
#: here, never closed; the command line ends the process at once after saying what happened (api.cli.main).
_ABANDONED: list[Any] = []


def abandon(*handles: Any) -> None:
    """Keep a failed store's engine handles from being closed or collected (see :data:`_ABANDONED`)."""
    _ABANDONED.extend(handle for handle in handles if handle is not None)


#: Engine handles of stores closed in a process that ends as soon as its command returns (api/cli/root.py
#: ``QUICK_EXIT``, :func:`ends_with_process`). Closing a store opened for writing writes nothing (each commit synced
#: the log; the close never checkpoints), so destroying the engine only frees memory, the store's indexes one by
#: one and its page cache unmapped: 0.16-0.2 s wall after a national day (docs/performance.md, cmd31), which the
#: kernel does at the exit anyway, releasing the file's lock with it. :func:`close_left` closes them for real when
#: the process goes on after all, or opens the same store again.
_LEFT: list[tuple[Path, Any, Any]] = []
_ENDS_WITH_PROCESS = [False]


def ends_with_process() -> None:
    """Say that this process ends as soon as its command returns: stores closed without an error from now on
    leave their engine to the exit (:data:`_LEFT`)."""
    _ENDS_WITH_PROCESS[0] = True


def leave_to_exit(store: Path, connection: Any, database: Any) -> bool:
    """Keep a closing store's engine for the process' exit to free (True), when the process ends with its command
    (:func:`ends_with_process`); else False: the caller closes it."""
    if not _ENDS_WITH_PROCESS[0]:
        return False
    _LEFT.append((Path(os.path.realpath(store)), connection, database))
    return True


def close_left(store: Path | None = None) -> None:
    """Close the engines :func:`leave_to_exit` kept (only ``store``'s when given), as a store's close would have."""
    key = None if store is None else Path(os.path.realpath(store))
    for left in [left for left in _LEFT if key is None or left[0] == key]:
        _LEFT.remove(left)
        _path, connection, database = left
        if connection is not None:
            connection.close()
        database.close()


def open_engine(store: Path, options: dict[str, Any]) -> ladybug.Database:
    """Open the engine's database; when it refuses a torn log, cut the log back to its last commit
    (:func:`cut_torn_log`) and open once more. A log that is still refused, or that has no recorded commit size,
    ends with one line saying so (nothing is cut then)."""
    try:
        return ladybug.Database(str(store), **options)
    except RuntimeError as exc:
        if not is_torn_log_error(str(exc)):
            raise
        cut = cut_torn_log(store)
    if cut:
        log.warning("the store %s: its write-ahead log ended in a write that did not finish (a full disk or a "
                    "killed process); cut back to its last commit (%s bytes of the failed write dropped)",
                    store, f"{cut:,}")
    try:
        return ladybug.Database(str(store), **options)
    except RuntimeError as exc:
        if not is_torn_log_error(str(exc)):
            raise
        recorded = committed_bytes(store)
        why = ("no size of its last commit is recorded beside it" if recorded is None
               else f"cut back to its last commit ({recorded:,} bytes) it is still refused")
        raise StoreUnavailable(
            f"the store {store}: its write-ahead log ({wal_path(store)}) cannot be replayed and {why}; the file "
            "holds what was checkpointed: move the log aside to open it without the commits since") from None


def is_kuzu_file(path: Path) -> bool:
    """True for a database file written by Kùzu (its header starts with ``KUZU``; LadybugDB's with ``LBUG``)."""
    try:
        with path.open("rb") as handle:
            return handle.read(4) == b"KUZU"
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        return False
