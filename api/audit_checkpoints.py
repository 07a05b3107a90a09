"""Signed checkpoints of the audit log's head: what makes a re-chained log detectable.

The hash chain of :mod:`api.audit` is unkeyed: whoever can write the file can edit an entry and recompute every
hash after it, delete an entry and renumber, or cut the end, and the chain still verifies. A checkpoint is the
head (``seq`` and ``hash`` of the last entry) signed with the evidence Ed25519 key (``eddsa-jcs-2022``, the proof
the evidence credentials carry), appended to ``<audit log>.checkpoints`` (JSON Lines). Each names the previous
checkpoint by its SHA-256, so the checkpoints form a chain of their own (as CloudTrail's digest files and
Certificate Transparency's signed tree heads do).

Written by :class:`Checkpointer`: when the log passes a multiple of :data:`EVERY_ENTRIES` entries, after
:data:`EVERY_SECONDS` of activity since the last one, at server shutdown, and on demand
(``tracegraph audit checkpoint``). :func:`verify_checkpoints` checks each signature, the checkpoint chain, and that
the log still holds, at each checkpoint's ``seq``, the entry whose hash was signed: an edit, a deletion or a cut
before the last checkpoint fails; entries after the last checkpoint are reported as not yet covered.

What a checkpoint cannot prove: anything about entries after it; and nothing at all against someone who holds
the signing key (and its passphrase), who can re-sign a rewritten log. See docs/security.md.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.audit import GENESIS, AuditLog, AuditVerification
from exports.canonical import canonical_json
from exports.evidence import proofs
from exports.evidence.keys import KeyStore, Signer, utc_now
from graph.errors import TracegraphError

log = logging.getLogger("tracegraph.audit")
EVERY_ENTRIES = 1000
EVERY_SECONDS = 300.0
CHECKPOINT_TYPE = "AuditCheckpoint"


def checkpoints_path(audit_log: Path) -> Path:
    return audit_log.with_name(audit_log.name + ".checkpoints")


def checkpoint_digest(checkpoint: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(checkpoint)).hexdigest()


def read_checkpoints(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def write_checkpoint(log_: AuditLog, signer: Signer, head: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Sign the log's current head (or ``head``: ``seq`` and ``hash`` of an entry already written) and append it;
    None when there is nothing new to sign."""
    head = head or log_.head()
    if head is None:
        return None
    path = checkpoints_path(log_.path)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o640)
    with os.fdopen(fd, "r+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # the server and the CLI may both write checkpoints
        try:
            handle.seek(0)
            existing = [json.loads(line) for line in handle if line.strip()]
            last = existing[-1] if existing else None
            if last is not None and int(last.get("seq", 0)) >= head["seq"]:
                return None
            document = {"type": CHECKPOINT_TYPE, "log": log_.path.name, "checkpoint": len(existing) + 1,
                        "seq": head["seq"], "head": head["hash"], "time": utc_now(),
                        "previous": checkpoint_digest(last) if last else GENESIS}
            signed = proofs.sign(document, signer.key, created=document["time"],
                                 verification_method=signer.verification_method)
            handle.write(json.dumps(signed, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    return signed


@dataclass(frozen=True)
class CheckpointReport:
    """``ok``; the number of checkpoints; the last one's ``seq`` and time; entries after it (``unsigned``)."""

    ok: bool
    checkpoints: int
    last_seq: int = 0
    last_time: str = ""
    unsigned: int = 0
    reason: str = ""
    signers: tuple[str, ...] = ()

    def describe(self) -> str:
        if not self.ok:
            return self.reason
        if not self.checkpoints:
            return f"no signed checkpoint: the {self.unsigned} entries cannot be told apart from a rewritten log"
        return (f"{self.checkpoints} signed checkpoint(s), the last at seq {self.last_seq} ({self.last_time}) "
                f"by {', '.join(self.signers)}; {self.unsigned} entries follow it, not yet covered by a signature")


def verify_log(log_: AuditLog, *, expected_head: str | None = None, key_dir: Path | None = None
               ) -> tuple[AuditVerification, CheckpointReport]:
    """The hash chain, then the signed checkpoints against it (signers must be keys of ``key_dir``'s history
    when it has one)."""
    chain = log_.verify(expected_head=expected_head, collect=checkpointed_seqs(log_))
    history = KeyStore(key_dir, None).history() if key_dir is not None else []
    known = {record.verification_method for record in history} or None
    if not chain.ok:
        return chain, CheckpointReport(False, 0, reason="not checked: the hash chain is broken")
    return chain, verify_checkpoints(log_, chain.hashes, chain.entries, known)


def verify_checkpoints(log_: AuditLog, hashes: dict[int, str], entries: int,
                       known_signers: set[str] | None = None) -> CheckpointReport:
    """Check the checkpoints against the log. ``hashes``: ``seq -> hash`` of the log's entries at (at least) the
    checkpointed seqs; ``entries``: how many entries the log holds; ``known_signers``: the verification methods
    of our keys (from the key history), when known."""
    try:
        checkpoints = read_checkpoints(checkpoints_path(log_.path))
    except (json.JSONDecodeError, OSError) as exc:
        return CheckpointReport(False, 0, reason=f"checkpoint file unreadable ({type(exc).__name__})")
    previous, last_seq, signers = GENESIS, 0, []
    for number, checkpoint in enumerate(checkpoints, start=1):
        where = f"checkpoint {number}"
        check = proofs.verify(checkpoint)
        if not check.ok:
            return CheckpointReport(False, number - 1, reason=f"{where}: bad signature ({check.reason})")
        if known_signers is not None and check.verification_method not in known_signers:
            return CheckpointReport(False, number - 1, reason=f"{where}: signed by a key that is not ours "
                                                              f"({check.verification_method})")
        if checkpoint.get("previous") != previous or checkpoint.get("checkpoint") != number:
            return CheckpointReport(False, number - 1, reason=f"{where}: does not follow checkpoint {number - 1} "
                                                              "(a checkpoint was removed or reordered)")
        seq = int(checkpoint.get("seq", 0))
        if seq < last_seq:
            return CheckpointReport(False, number - 1, reason=f"{where}: seq goes backwards")
        if seq > entries:
            return CheckpointReport(False, number - 1, reason=f"audit log truncated: it ends at seq {entries} but "
                                                              f"{where} signed seq {seq}")
        if hashes.get(seq) != checkpoint.get("head"):
            return CheckpointReport(False, number - 1, reason=f"audit log rewritten: entry seq {seq} is not the one "
                                                              f"{where} signed (entries between seq {last_seq + 1} "
                                                              f"and {seq} were edited, deleted or re-chained)")
        previous, last_seq = checkpoint_digest(checkpoint), seq
        if check.verification_method not in signers:
            signers.append(check.verification_method)
    last_time = str(checkpoints[-1].get("time", "")) if checkpoints else ""
    return CheckpointReport(True, len(checkpoints), last_seq, last_time, entries - last_seq, signers=tuple(signers))


def checkpointed_seqs(log_: AuditLog) -> set[int]:
    try:
        return {int(c.get("seq", 0)) for c in read_checkpoints(checkpoints_path(log_.path))}
    except (json.JSONDecodeError, OSError, ValueError):
        return set()


def signer_for(key_dir: Path, passphrase: str | None) -> Signer | None:
    """The evidence key, or None (logged once) when it cannot be opened: checkpoints are then not written."""
    try:
        return KeyStore(key_dir, passphrase).signer()
    except (TracegraphError, OSError) as exc:
        log.warning("audit checkpoints disabled: the evidence signing key is unavailable (%s)", type(exc).__name__)
        return None


class Checkpointer:
    """Writes a checkpoint after every :data:`EVERY_ENTRIES` entries, after :data:`EVERY_SECONDS` of activity
    since the last checkpoint, and at :meth:`close`. ``written`` is called by the audit writer after each batch."""

    def __init__(self, log_: AuditLog, signer: Signer | None, *, every_entries: int = EVERY_ENTRIES,
                 every_seconds: float = EVERY_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.log = log_
        self.signer = signer
        self.every_entries = every_entries
        self.every_seconds = every_seconds
        self.clock = clock
        self._lock = threading.Lock()
        last = read_checkpoints(checkpoints_path(log_.path))
        self._signed_seq = int(last[-1]["seq"]) if last else 0
        self._dirty_since: float | None = None
        self._stop = threading.Event()
        self._timer = threading.Thread(target=self._tick, name="audit-checkpoints", daemon=True)
        if signer is not None:
            self._timer.start()

    def written(self, entries: list[dict[str, Any]]) -> None:
        """After a batch: sign the entry that reaches each multiple of ``every_entries``."""
        if self.signer is None:
            return
        with self._lock:
            if self._dirty_since is None:
                self._dirty_since = self.clock()
            signed = self._signed_seq
        for entry in entries:
            if entry["seq"] // self.every_entries > signed // self.every_entries:
                self.checkpoint({"seq": entry["seq"], "hash": entry["hash"]})
                signed = entry["seq"]

    def checkpoint(self, head: dict[str, Any] | None = None) -> dict[str, Any] | None:
        if self.signer is None:
            return None
        with self._lock:
            try:
                written = write_checkpoint(self.log, self.signer, head)
            except OSError as exc:
                log.error("audit checkpoint failed (%s)", type(exc).__name__)
                return None
            if written is not None:
                self._signed_seq = int(written["seq"])
            if head is None:
                self._dirty_since = None
            return written

    def _tick(self) -> None:
        while not self._stop.wait(min(self.every_seconds, 5.0)):
            with self._lock:
                dirty = self._dirty_since
            if dirty is not None and self.clock() - dirty >= self.every_seconds:
                self.checkpoint()

    def close(self) -> None:
        self._stop.set()
        if self._timer.is_alive():
            self._timer.join(timeout=10)
        self.checkpoint()
