"""A record of every release outside the agency (28 CFR 23.20(g): who was given the data, the reason for release
and the date), kept in the tamper-evident audit chain (:mod:`api.audit`) as entries of their own kind.

Each release is one audit entry with ``action = "disseminate"``::

    {"actor": who released it (OS user, or the API key id), "target": what ("export:stix", "taxii:<collection>",
     "api:GET /api/v1/persons/{person_key}", "report:case:<network>", "evidence:case:<case>"),
     "details": {"recipient", "purpose", "channel", "tlp", "objects", "sha256", "bytes"}}

``sha256`` and ``bytes`` are those of the file written (file exports), ``objects`` how many objects left (STIX
objects, GeoJSON features, TAXII envelope objects, items of an API answer). The recipient and the purpose are an
agency's name and the stated reason, never a person's data.

Who releases: the CLI's file exports for a recipient outside the agency (``export stix|geojson --role partner``,
``report case``, ``evidence package`` unless ``--internal``) refuse to run without ``--recipient`` and
``--purpose`` (:func:`required`) and record the file's digest (:func:`record_file`); the API records every
successful request by a partner key (:func:`api_entry`: recipient = the key's name, purpose = the key's purpose).

:func:`listing` is what ``tracegraph disseminations`` and ``GET /api/v1/disseminations`` show: it verifies the
chain and its signed checkpoints first and refuses to answer from a broken one (:class:`AuditChainBroken`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from api.audit import AuditLog
from graph.errors import TracegraphError

ACTION = "disseminate"
COLUMNS = ("seq", "time", "recipient", "purpose", "channel", "tlp", "objects", "sha256", "actor", "target")
TABLE_COLUMNS = ("seq", "time", "recipient", "purpose", "channel", "tlp", "objects")  # the rest: json, csv
LAW = "28 CFR 23.20(g)"
#: roles that may read the record over the API (a supervisor's duty; "admin" is the supervising role here)
READERS = frozenset({"admin"})
_COUNTED = ("objects", "features", "items", "results", "collections", "versions", "subjects", "rows")
#: larger answers are not parsed again to count them (parsing holds the event loop: ~50 ms a MiB on a busy
#: machine); the routes that send large answers (TAXII, exports) say their count themselves
COUNT_LIMIT_BYTES = 1 << 20


class AuditChainBroken(TracegraphError):
    """The audit chain (or its signed checkpoints) does not verify: the record cannot be trusted."""

    http_status = 500
    title = "Audit log broken"
    exit_code = 1


def required(recipient: str | None, purpose: str | None, what: str) -> tuple[str, str]:
    """The recipient and purpose of a release, both required (one line, exit 2 / 400, when one is missing)."""
    from graph.errors import InvalidInput

    missing = [flag for flag, value in (("--recipient", recipient), ("--purpose", purpose))
               if value is None or not value.strip()]
    if missing:
        raise InvalidInput(f"{what} leaves the agency: {' and '.join(missing)} required (who receives it and why "
                           f"are recorded, {LAW})")
    assert recipient is not None and purpose is not None
    return recipient.strip(), purpose.strip()


@dataclass(frozen=True)
class Dissemination:
    recipient: str
    purpose: str
    channel: str  # "export stix", "export geojson", "report case", "evidence package", "taxii", "api"
    tlp: str | None
    objects: int | None
    sha256: str | None = None
    bytes: int | None = None

    def details(self) -> dict[str, Any]:
        return {"recipient": self.recipient, "purpose": self.purpose, "channel": self.channel, "tlp": self.tlp,
                "objects": self.objects, "sha256": self.sha256, "bytes": self.bytes}


def item(release: Dissemination, *, actor: str, target: str) -> dict[str, Any]:
    """The audit item of one release (for :meth:`AuditLog.append_many` or the API's group-commit writer)."""
    return {"actor": actor, "action": ACTION, "target": target, "outcome": "ok", "details": release.details()}


def file_digest(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size of a file written for a recipient."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def record_file(log: AuditLog, files: list[Path], *, recipient: str, purpose: str, channel: str,
                tlp: str | None, objects: int | None, actor: str, target: str) -> list[dict[str, Any]]:
    """One entry per file released (each with its own SHA-256), chained in one write."""
    items = []
    for path in files:
        sha256, size = file_digest(path)
        items.append(item(Dissemination(recipient, purpose, channel, tlp, objects, sha256, size),
                          actor=actor, target=target))
    return log.append_many(items)


def count_objects(body: bytes) -> int | None:
    """How many objects a JSON answer carries: the length of its list, or of its one known list member (a TAXII
    envelope's ``objects``, a page's ``items``), else 1; None when it is not JSON or too large to read again."""
    if not body or len(body) > COUNT_LIMIT_BYTES:
        return None
    try:
        document = json.loads(body)
    except ValueError:
        return None
    if isinstance(document, list):
        return len(document)
    if isinstance(document, dict):
        for name in _COUNTED:
            if isinstance(document.get(name), list):
                return len(document[name])
        return 1
    return None


def api_entry(*, key_id: str, recipient: str, purpose: str, route: str, tlp: str | None,
              objects: int | None) -> dict[str, Any]:
    """The record of one successful API or TAXII read by a partner key."""
    channel = "taxii" if route.split(" ", 1)[-1].startswith("/taxii2") else "api"
    target = f"{channel}:{route}"
    return item(Dissemination(recipient, purpose or "(none stated: key made before purposes were required)",
                              channel, tlp, objects), actor=key_id, target=target)


class Record(BaseModel):
    """One release, as the audit chain holds it."""

    seq: int = Field(description="the audit entry's seq")
    time: str
    recipient: str | None
    purpose: str | None
    channel: str | None
    tlp: str | None
    objects: int | None
    sha256: str | None = Field(description="SHA-256 of the file written (file exports)")
    actor: str
    target: str


class DisseminationList(BaseModel):
    items: list[Record]
    entries_verified: int = Field(description="audit entries whose hash chain was verified before reading")
    checkpoints: str = Field(description="what the signed checkpoints cover")


@dataclass(frozen=True)
class Listing:
    rows: list[dict[str, Any]]
    entries: int  # audit entries verified
    checkpoints: str  # what the signed checkpoints cover


def listing(log: AuditLog, *, since: dt.date | None = None, recipient: str | None = None,
            key_dir: Path | None = None) -> Listing:
    """The releases recorded in the audit chain, oldest first, after verifying the chain and its checkpoints."""
    from api.audit_checkpoints import verify_log

    if not log.path.exists():
        return Listing([], 0, "no audit log yet")
    chain, signed = verify_log(log, key_dir=key_dir)
    if not chain.ok or not signed.ok:
        failed = chain if not chain.ok else signed
        raise AuditChainBroken(f"{failed.describe()}: the dissemination record cannot be trusted "
                               "(`tracegraph audit verify`)")
    wanted = recipient.strip().casefold() if recipient else None
    rows = []
    for entry in log.entries():
        if entry.get("action") != ACTION:
            continue
        details = entry.get("details") or {}
        if since is not None and str(entry.get("time", ""))[:10] < since.isoformat():
            continue
        if wanted is not None and str(details.get("recipient", "")).casefold() != wanted:
            continue
        rows.append({"seq": entry["seq"], "time": entry["time"], "actor": entry["actor"],
                     "target": entry["target"], **{k: details.get(k) for k in
                                                   ("recipient", "purpose", "channel", "tlp", "objects",
                                                    "sha256")}})
    return Listing(rows, chain.entries, signed.describe())
