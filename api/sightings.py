"""Alert delivery as STIX 2.1 sightings to a TAXII 2.1 collection, one channel of the outbox the store keeps
(``Alert.taxii_state``; :mod:`api.services.outbox`), beside the webhook (:mod:`api.webhook`).

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
  exponentially (:func:`api.services.outbox.backoff`).

Sighting ids and versions are fixed by the alert, so the collection holds each sighting once however often a
delivery is retried. Every attempt is an audit entry (``alert.deliver``, outcome, no personal data) and every
delivered sighting a ``disseminate`` entry like the other releases outside the agency (recipient, purpose,
channel ``taxii``, TLP, objects, SHA-256 of the envelope sent; :mod:`api.services.disseminations`).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from api.audit import AuditLog
from api.services import outbox
from api.services.disseminations import Dissemination, item
from exports.alert_stix import sighting_id, sighting_objects
from exports.canonical import canonical_json, sha256_hex
from exports.tlp import Level, allows, level
from graph.errors import InvalidInput
from graph.store import GraphStore
from loaders.taxii import collection as taxii_collection
from loaders.taxii import safe_url

#: the Alert properties a sighting is made of (what ``alert_outbox_taxii`` returns beside the outbox state)
FIELDS = ("rule", "reason", "subject_label", "subject_key", "watch_id", "evidence", "load_runs", "analysis_run_id",
          "created_at", "tlp")


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
        return safe_url(self.collection_url)


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


def _send(collection: Any, goal: TaxiiTarget, row: dict[str, Any], actor: str) -> outbox.Outcome:
    marking: Level = level(str(row["tlp"] or "amber"))
    if not allows(goal.tlp, marking):
        return outbox.Outcome(withheld=f"TLP:{marking.upper()} is above the collection's TLP:{goal.tlp.upper()}: "
                                       "not sent", details={"tlp": marking, "collection_tlp": goal.tlp})
    objects = sighting_objects(row, salt=goal.salt)
    sid, version = sighting_id(row["key"]), objects[0]["modified"]
    try:
        if not _held(collection, sid, version) and not _post(collection, objects, sid, version):
            return outbox.Outcome(error="the collection did not take the sighting")
    except Exception as exc:  # requests / taxii2client errors: in words, no credentials
        return outbox.Outcome(error=f"{type(exc).__name__} from {goal.where}")
    envelope = canonical_json({"objects": objects})
    record = item(Dissemination(goal.recipient, goal.purpose, "taxii", marking, len(objects), sha256_hex(envelope),
                                len(envelope)), actor=actor, target=f"taxii:{goal.where}#{sid}")
    return outbox.Outcome(entries=(record,))


def deliver(store: GraphStore, goal: TaxiiTarget, *, audit: AuditLog | None = None, now: datetime | None = None,
            base_backoff: float = outbox.BASE_BACKOFF_S, actor: str = "taxii", timeout: float = 10.0
            ) -> outbox.Round:
    """Try every due pending alert once (the collection is asked nothing when none is due)."""
    collection: list[Any] = []

    def send(row: dict[str, Any]) -> outbox.Outcome:
        if not collection:
            collection.append(taxii_collection(goal.collection_url, user=goal.user, password=goal.password,
                                               timeout=timeout))
        return _send(collection[0], goal, row, actor)

    done = outbox.run(store, outbox.TAXII, send, audit=audit, now=now, base_backoff=base_backoff, actor=actor)
    return dataclasses.replace(done, tlp=goal.tlp)
