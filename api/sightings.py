"""Alert delivery as STIX 2.1 sightings to a TAXII 2.1 collection, from the outbox the store keeps
(``Alert.taxii_state``), beside the webhook (:mod:`api.webhook`).

An alert is raised ``pending`` when a collection is configured. :func:`deliver` takes each pending alert whose
``taxii_next_attempt_at`` has come:

* an alert whose TLP is above the collection's (``TaxiiTarget.tlp``) is not sent: it becomes ``withheld`` with
  the reason in words (audited as ``alert.withhold``);
* otherwise it asks the collection whether it already holds the alert's sighting (same id and version: an
  earlier POST may have reached the server while its answer was lost) and, if not, POSTs the sighting and the
  objects it points at (:func:`exports.alert_stix.sighting_objects`) through ``taxii2-client``; it is
  ``delivered`` once the server's status names the sighting among its successes (or the collection holds it);
* a failure (server down, refused, a TAXII error) keeps it pending, the attempt counted, the error in words
  (the exception's class and the collection's host: never the credentials) and the next attempt pushed back
  exponentially (:func:`api.webhook.backoff`).

Sighting ids and versions are fixed by the alert, so the collection holds each sighting once however often a
delivery is retried. Every attempt is an audit entry (``alert.deliver``, outcome, no personal data) and every
delivered sighting a ``disseminate`` entry like the other releases outside the agency (recipient, purpose,
channel ``taxii``, TLP, objects, SHA-256 of the envelope sent; :mod:`api.services.disseminations`).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from api.audit import AuditLog
from api.services.disseminations import Dissemination, item
from api.webhook import BASE_BACKOFF_S, backoff
from exports.alert_stix import sighting_id, sighting_objects
from exports.canonical import canonical_json, sha256_hex
from exports.tlp import Level, allows, level
from graph.errors import InvalidInput
from graph.store import GraphStore

FIELDS = ("rule", "reason", "subject_label", "subject_key", "watch_id", "evidence", "load_runs", "analysis_run_id",
          "created_at", "tlp", "taxii_state", "taxii_attempts", "taxii_next_attempt_at")


@dataclass(frozen=True)
class TaxiiTarget:
    """Where sightings go and under what terms. ``tlp``: the highest marking the collection may hold."""

    collection_url: str
    tlp: Level
    recipient: str
    purpose: str
    salt: str
    user: str | None = None
    password: str | None = None

    @property
    def where(self) -> str:
        """The collection as it may be logged: no user or password, even when the URL carried them."""
        parts = urlsplit(self.collection_url)
        return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}{parts.path}"


def target(collection_url: str, *, tlp: str, recipient: str | None, purpose: str | None, salt: str,
           user: str | None = None, password: str | None = None) -> TaxiiTarget:
    """A checked target: one clear line (exit 2) for a bad URL, TLP or a missing recipient or purpose."""
    from api.services.disseminations import required

    if not collection_url.startswith(("http://", "https://")) or "/collections/" not in collection_url:
        raise InvalidInput("the TAXII collection must be an http(s) URL ending in /collections/<id>/, not "
                           f"{urlsplit(collection_url).path or collection_url[:60]!r}")
    who, why = required(recipient, purpose, "an alert sent to a TAXII collection")
    url = collection_url if collection_url.endswith("/") else collection_url + "/"
    return TaxiiTarget(url, level(tlp), who, why, salt, user or None, password or None)


@dataclass(frozen=True)
class SightingReport:
    delivered: int
    failed: int
    withheld: int
    waiting: int  # pending alerts whose next attempt has not come yet
    tlp: str = "green"  # the collection's ceiling


def _collection(goal: TaxiiTarget, timeout: float) -> Any:
    """taxii2-client sets no timeout: a server that takes the connection and never answers would hold the load
    that delivers (and its store) for ever. Every request here gives up after ``timeout`` seconds."""
    from taxii2client.common import _HTTPConnection
    from taxii2client.v21 import Collection

    conn = _HTTPConnection(user=goal.user, password=goal.password, version="2.1")
    conn.session.request = functools.partial(conn.session.request, timeout=timeout)
    return Collection(goal.collection_url, conn=conn)


def _held(collection: Any, sid: str, version: str) -> bool:
    """Does the collection already hold this version of the sighting? (False when it cannot say.)"""
    try:
        envelope = collection.get_object(sid, version=version)
    except Exception:  # 404, 403 (write-only collection) or down: the POST decides
        return False
    return any(o.get("id") == sid for o in (envelope or {}).get("objects", []))


def _post(collection: Any, objects: list[dict[str, Any]], sid: str, version: str) -> bool:
    status = collection.add_objects(json.dumps({"objects": objects}))
    if any(s.get("id") == sid for s in (status.successes or [])):
        return True
    return _held(collection, sid, version)  # a server that reports a repeat as a failure still holds it once


def deliver(store: GraphStore, goal: TaxiiTarget, *, audit: AuditLog | None = None, now: datetime | None = None,
            base_backoff: float = BASE_BACKOFF_S, actor: str = "taxii", timeout: float = 10.0) -> SightingReport:
    """Try every due pending alert once."""
    moment = (now or datetime.now(UTC)).replace(tzinfo=None)
    table = store.node_table("Alert", FIELDS).to_pylist()
    pending = sorted((r for r in table if r["taxii_state"] == "pending"), key=lambda r: (r["created_at"], r["key"]))
    due = [r for r in pending if r["taxii_next_attempt_at"] is None or r["taxii_next_attempt_at"] <= moment]
    delivered = failed = withheld = 0
    updates: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    collection = _collection(goal, timeout) if due else None
    try:
        for row in due:
            attempts = int(row["taxii_attempts"] or 0) + 1
            marking: Level = level(str(row["tlp"] or "amber"))
            if not allows(goal.tlp, marking):
                withheld += 1
                why = f"TLP:{marking.upper()} is above the collection's TLP:{goal.tlp.upper()}: not sent"
                updates.append({"alert_id": row["key"], "taxii_state": "withheld", "taxii_last_error": why})
                entries.append({"actor": actor, "action": "alert.withhold", "target": row["key"],
                                "outcome": "withheld", "details": {"channel": "taxii", "tlp": marking,
                                                                   "collection_tlp": goal.tlp}})
                continue
            objects = sighting_objects(row, salt=goal.salt)
            sid, version = sighting_id(row["key"]), objects[0]["modified"]
            error: str | None = None
            try:
                if not _held(collection, sid, version) and not _post(collection, objects, sid, version):
                    error = "the collection did not take the sighting"
            except Exception as exc:  # requests / taxii2client errors: in words, no credentials
                error = f"{type(exc).__name__} from {goal.where}"
            if error is None:
                delivered += 1
                envelope = canonical_json({"objects": objects})
                updates.append({"alert_id": row["key"], "taxii_state": "delivered", "taxii_attempts": attempts,
                                "taxii_delivered_at": moment})
                entries.append(item(Dissemination(goal.recipient, goal.purpose, "taxii", marking, len(objects),
                                                  sha256_hex(envelope), len(envelope)),
                                    actor=actor, target=f"taxii:{goal.where}#{sid}"))
            else:
                failed += 1
                updates.append({"alert_id": row["key"], "taxii_attempts": attempts, "taxii_last_error": error,
                                "taxii_next_attempt_at": moment + backoff(attempts, base=base_backoff)})
            entries.append({"actor": actor, "action": "alert.deliver", "target": row["key"],
                            "outcome": "ok" if error is None else "error",
                            "details": {"channel": "taxii", "attempt": attempts}})
    finally:
        for update in updates:  # one row per alert: each keeps its own columns
            store.upsert_nodes("Alert", [update])
        if audit is not None and entries:
            audit.append_many(entries)
    return SightingReport(delivered=delivered, failed=failed, withheld=withheld, waiting=len(pending) - len(due),
                          tlp=goal.tlp)


