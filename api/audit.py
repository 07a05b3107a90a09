"""The hash-chained audit log: append-only JSON Lines, one entry per access, modification or transfer.

Each line is one entry::

    {"seq", "time", "actor", "action", "target", "outcome", "details", "prev_hash", "hash"}

``hash`` is the SHA-256 of the RFC 8785 canonical JSON of the entry without ``hash``; ``prev_hash`` is the
previous entry's ``hash`` (64 zeros for the first); ``seq`` counts from 1. Editing, deleting, reordering or
inserting an entry therefore breaks the chain at that entry, and :meth:`AuditLog.verify` names it. The chain is
unkeyed, so whoever can write the file can also re-chain it after an edit or cut its end: the signed
checkpoints of :mod:`api.audit_checkpoints` are what detects that (up to the last checkpoint). A head kept
elsewhere (an evidence package, a report) can also be given to :meth:`AuditLog.verify`.

``details`` hold identifiers, digests and counts only: never names, dates of birth, addresses or file names.
Appends take an exclusive lock on the file, so concurrent writers cannot interleave or fork the chain. The API
server writes through :class:`GroupCommitWriter` (one fsync per batch of requests).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from exports.canonical import canonical_sha256
from graph.errors import InvalidInput, StoreUnavailable

log = logging.getLogger("tracegraph.audit")
GENESIS = "0" * 64
FIELDS = ("seq", "time", "actor", "action", "target", "outcome", "details", "prev_hash", "hash")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def entry_hash(entry: dict[str, Any]) -> str:
    return canonical_sha256({k: v for k, v in entry.items() if k != "hash"})


@dataclass(frozen=True)
class Line:
    """One chained entry and its JSON line."""

    entry: dict[str, Any]
    text: str


def chain(items: list[dict[str, Any]], seq: int, prev_hash: str) -> list[Line]:
    """Chain ``items`` after the entry ``seq`` whose hash is ``prev_hash`` (pure)."""
    lines = []
    for item in items:
        seq += 1
        entry: dict[str, Any] = {
            "seq": seq, "time": item.get("time") or _now(), "actor": item["actor"], "action": item["action"],
            "target": item["target"], "outcome": item.get("outcome", "ok"), "details": item.get("details") or {},
            "prev_hash": prev_hash,
        }
        entry["hash"] = prev_hash = entry_hash(entry)
        lines.append(Line(entry, json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n"))
    return lines


@dataclass(frozen=True)
class AuditVerification:
    """The result of checking a log: ``ok``, how many entries were read, and the first broken one."""

    ok: bool
    entries: int
    line: int | None = None
    seq: int | None = None
    reason: str = ""
    head: str = GENESIS
    hashes: dict[int, str] = field(default_factory=dict)  # seq -> hash of the entries asked for (``collect``)

    def describe(self) -> str:
        if self.ok:
            return f"audit log intact: {self.entries} entries, head {self.head}"
        if self.line is None:
            return self.reason
        where = f"line {self.line}" + (f" (seq {self.seq})" if self.seq is not None else "")
        return f"audit log broken at {where}: {self.reason}"


class AuditLog:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def append(self, *, actor: str, action: str, target: str, outcome: str = "ok",
               details: dict[str, Any] | None = None, time: str | None = None) -> dict[str, Any]:
        """Add one entry at the end of the chain (written and fsynced before returning) and return it."""
        return self.append_many([{"actor": actor, "action": action, "target": target, "outcome": outcome,
                                  "details": details or {}, "time": time}])[0]

    def append_many(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Chain several entries (``actor, action, target, outcome, details[, time]``) in one locked write and
        one fsync. The head is re-read under the lock, so other processes appending meanwhile are chained."""
        return self.write_batch(items, None)

    def write_batch(self, items: list[dict[str, Any]], chained: list[Line] | None) -> list[dict[str, Any]]:
        """Write ``items`` at the end of the chain. ``chained`` are the same items already chained (and
        serialised) from the head the caller believed current: used as they are when the file's head is that
        one, re-chained here when another writer appended meanwhile."""
        if not items:
            return []
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o640)
        with os.fdopen(fd, "r+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                last = _last_line(handle)
                previous = json.loads(last) if last else None
                head = (previous["seq"], previous["hash"]) if previous else (0, GENESIS)
                if not chained or (chained[0].entry["seq"] - 1, chained[0].entry["prev_hash"]) != head:
                    chained = chain(items, *head)
                handle.write("".join(line.text for line in chained).encode("utf-8"))
                handle.flush()
                os.fsync(handle.fileno())
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return [line.entry for line in chained]

    def head(self) -> dict[str, Any] | None:
        """``{"seq", "hash"}`` of the last entry (what to keep elsewhere to detect truncation), None if empty."""
        if not self.path.exists():
            return None
        with self.path.open("rb") as handle:
            last = _last_line(handle)
        if not last:
            return None
        entry = json.loads(last)
        return {"seq": entry["seq"], "hash": entry["hash"]}

    def entries(self) -> Iterator[dict[str, Any]]:
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    try:
                        yield json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise InvalidInput(f"audit log {self.path.name} line {number} is not JSON") from exc

    def verify(self, expected_head: str | None = None, collect: set[int] | None = None) -> AuditVerification:
        """Walk the chain; the first entry whose content, seq or prev_hash does not fit is named. ``collect``:
        the seqs whose hashes to return (the signed checkpoints, :mod:`api.audit_checkpoints`)."""
        wanted = collect or set()
        hashes: dict[int, str] = {}
        if not self.path.exists():
            return AuditVerification(False, 0, reason=f"audit log {self.path} does not exist")
        previous_hash, count = GENESIS, 0
        with self.path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    return AuditVerification(False, count, number, reason="blank line inside the log")
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    return AuditVerification(False, count, number, reason="line is not JSON")
                seq = entry.get("seq") if isinstance(entry, dict) else None
                problem = _problem(entry, expected_seq=count + 1, previous_hash=previous_hash)
                if problem:
                    return AuditVerification(False, count, number, seq if isinstance(seq, int) else None,
                                             problem)
                previous_hash, count = entry["hash"], count + 1
                if count in wanted:
                    hashes[count] = previous_hash
        if expected_head is not None and expected_head != previous_hash:
            return AuditVerification(False, count, count, reason="last entry is not the expected head "
                                     "(entries removed from the end?)", head=previous_hash)
        return AuditVerification(True, count, head=previous_hash, hashes=hashes)


class GroupCommitWriter:
    """Chains entries from many request handlers with one locked write and one fsync per batch.

    :meth:`submit` chains and serialises the entry in the caller's thread (from the head it last wrote: ~35 µs)
    and queues it; it never touches the disk. A writer thread takes everything queued and appends it with
    :meth:`AuditLog.write_batch` (one ``flock``, one ``write``, one ``fsync``) while the next batch gathers: a
    batch is whatever arrived during the previous fsync, so a quiet server writes each entry at once and a busy
    one pays one fsync per batch instead of one per request. The writer thread does almost no Python work, so
    it does not hold the GIL against the event loop. If another process appended meanwhile (the evidence
    commands share the log), the batch and everything queued are re-chained after the file's real head: the
    log stays one chain.

    Trade-off: an entry is durable one fsync after its response was sent (it was already written after the
    response before), so a crash of the process (SIGKILL, power loss) can lose the batch in flight; a normal
    shutdown calls :meth:`close`, which writes everything queued. After close, submits write synchronously.
    """

    def __init__(self, log: AuditLog, on_written: Callable[[list[dict[str, Any]]], None] | None = None) -> None:
        self.log = log
        self.on_written = on_written  # called with each batch's entries once written (the checkpointer)
        self._pending: list[tuple[dict[str, Any], Line]] = []
        self._head: tuple[int, str] | None = None
        self._cond = threading.Condition()
        self._submitted = self._written = 0
        self._closed = False
        self.failures = 0
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()

    def _file_head(self) -> tuple[int, str]:
        head = self.log.head()
        return (head["seq"], head["hash"]) if head else (0, GENESIS)

    def submit(self, **item: Any) -> None:
        item.setdefault("time", _now())
        with self._cond:
            if not self._closed:
                if self._head is None:
                    self._head = self._file_head()
                [line] = chain([item], *self._head)
                self._head = (line.entry["seq"], line.entry["hash"])
                self._pending.append((item, line))
                self._submitted += 1
                self._cond.notify_all()
                return
        self.log.append_many([item])

    def flush(self, timeout: float = 30.0) -> None:
        """Return once everything submitted so far is written and fsynced."""
        with self._cond:
            target = self._submitted
            if not self._cond.wait_for(lambda: self._written >= target or not self._thread.is_alive(), timeout):
                raise StoreUnavailable("the audit log could not be written in time")

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join()
        self.log.append_many([item for item, _ in self._pending])  # left only if the last write failed
        self._pending = []

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._pending) or self._closed)
                if not self._pending:
                    return
                batch, self._pending = self._pending, []
            items, lines = [item for item, _ in batch], [line for _, line in batch]
            try:
                written = self.log.write_batch(items, lines)
            except OSError as exc:
                self.failures += 1
                log.error("audit log write failed (%s); retrying", type(exc).__name__)
                with self._cond:
                    self._pending[:0] = batch
                    if self._closed:
                        return
                time.sleep(0.5)
                continue
            with self._cond:
                if written[-1] is not lines[-1].entry:  # re-chained after another writer: so is the queue
                    head = (written[-1]["seq"], written[-1]["hash"])
                    queued = [item for item, _ in self._pending]
                    self._pending = list(zip(queued, chain(queued, *head), strict=True))
                    self._head = ((self._pending[-1][1].entry["seq"], self._pending[-1][1].entry["hash"])
                                  if self._pending else head)
                self._written += len(batch)
                self._cond.notify_all()
            if self.on_written is not None:
                self.on_written(written)


def _problem(entry: Any, *, expected_seq: int, previous_hash: str) -> str:
    if not isinstance(entry, dict) or set(entry) != set(FIELDS):
        return "entry does not have exactly the audit fields"
    if entry["hash"] != entry_hash(entry):
        return "entry content does not match its hash (edited)"
    if entry["seq"] != expected_seq:
        return f"expected seq {expected_seq} (an entry was deleted, inserted or moved)"
    if entry["prev_hash"] != previous_hash:
        return "prev_hash does not match the previous entry (an entry was deleted, inserted or moved)"
    return ""


def _last_line(handle: BinaryIO, block: int = 8192) -> str:
    """The last non-blank line, read backwards from the end (appends stay cheap however long the log)."""
    end = handle.seek(0, os.SEEK_END)
    tail, position = b"", end
    while position > 0:
        step = min(block, position)
        position -= step
        handle.seek(position)
        tail = handle.read(step) + tail
        lines = [line for line in tail.split(b"\n") if line.strip()]
        if len(lines) > 1 or (lines and position == 0):
            return lines[-1].decode("utf-8")
    return ""
