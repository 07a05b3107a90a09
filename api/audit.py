"""The hash-chained audit log: append-only JSON Lines, one entry per access, modification or transfer.

Each line is one entry::

    {"seq", "time", "actor", "action", "target", "outcome", "details", "prev_hash", "hash"}

``hash`` is the SHA-256 of the RFC 8785 canonical JSON of the entry without ``hash``; ``prev_hash`` is the
previous entry's ``hash`` (64 zeros for the first); ``seq`` counts from 1. Editing, deleting, reordering or
inserting an entry therefore breaks the chain at that entry, and :meth:`AuditLog.verify` names it. Removing
entries from the end cannot be seen from the file alone: compare the head (``seq`` and ``hash`` of the last
entry) with a copy kept elsewhere (an evidence package, a report) — :meth:`AuditLog.verify` takes it.

``details`` hold identifiers, digests and counts only: never names, dates of birth, addresses or file names.
Appends take an exclusive lock on the file, so concurrent writers cannot interleave or fork the chain.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from exports.canonical import canonical_sha256
from graph.errors import InvalidInput

GENESIS = "0" * 64
FIELDS = ("seq", "time", "actor", "action", "target", "outcome", "details", "prev_hash", "hash")


def entry_hash(entry: dict[str, Any]) -> str:
    return canonical_sha256({k: v for k, v in entry.items() if k != "hash"})


@dataclass(frozen=True)
class AuditVerification:
    """The result of checking a log: ``ok``, how many entries were read, and the first broken one."""

    ok: bool
    entries: int
    line: int | None = None
    seq: int | None = None
    reason: str = ""
    head: str = GENESIS

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
        """Add one entry at the end of the chain and return it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o640)
        with os.fdopen(fd, "r+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                last = _last_line(handle)
                previous = json.loads(last) if last else None
                entry: dict[str, Any] = {
                    "seq": (previous["seq"] + 1) if previous else 1,
                    "time": time or datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
                    "actor": actor, "action": action, "target": target, "outcome": outcome,
                    "details": details or {}, "prev_hash": previous["hash"] if previous else GENESIS,
                }
                entry["hash"] = entry_hash(entry)
                handle.write((json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"))
                handle.flush()
                os.fsync(handle.fileno())
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return entry

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

    def verify(self, expected_head: str | None = None) -> AuditVerification:
        """Walk the chain; the first entry whose content, seq or prev_hash does not fit is named."""
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
        if expected_head is not None and expected_head != previous_hash:
            return AuditVerification(False, count, count, reason="last entry is not the expected head "
                                     "(entries removed from the end?)", head=previous_hash)
        return AuditVerification(True, count, head=previous_hash)


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
