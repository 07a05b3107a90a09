"""Alert delivery as STIX 2.1 sightings to a TAXII 2.1 collection, one channel of the outbox the store keeps
(``Alert.taxii_state``; :mod:`api.services.outbox`), beside the webhook (:mod:`api.webhook`).

An alert is raised ``pending`` when a collection is configured. :func:`deliver` takes each pending alert whose
``taxii_next_attempt_at`` has come:

* an alert whose TLP is above the collection's (``TaxiiTarget.tlp``) is not sent: it becomes ``withheld`` with
  the reason in words (audited as ``alert.withhold``);
* otherwise, :data:`CHUNK` alerts at a time, it asks the collection in one request which of their sightings it
  already holds (same id and version: an earlier POST may have reached the server while its answer was lost) and
  POSTs the others, each with the objects it points at (:func:`exports.alert_stix.sighting_objects`), in one
  envelope through ``taxii2-client``; an alert is ``delivered`` once the server's status names its sighting among
  the successes (or the collection holds it). A day's few hundred alerts are a handful of requests, not two per
  alert;
* a failure (server down, refused, a TAXII error) keeps the chunk's alerts pending, the attempt counted, the
  error in words (the exception's class and the collection's host: never the credentials) and the next attempt
  pushed back exponentially (:func:`api.services.outbox.backoff`). A server that cannot be reached (refused,
  timed out) fails the round's remaining chunks without asking it again.

Sighting ids and versions are fixed by the alert, so the collection holds each sighting once however often a
delivery is retried. Every attempt is an audit entry (``alert.deliver``, outcome, no personal data) and every
delivered sighting a ``disseminate`` entry like the other releases outside the agency (recipient, purpose,
channel ``taxii``, TLP, objects, SHA-256 of the alert's own objects as an envelope; :mod:`api.services.disseminations`).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests

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


#: alerts per request: each sighting brings a few objects, and the ids of a chunk go in one query string
CHUNK = 50


def _held(collection: Any, wanted: dict[str, str]) -> set[str]:
    """Which of the sightings (id -> version) the collection already holds, in one query (paged); none when it
    cannot say (a write-only collection, 403/404): the POST decides."""
    from taxii2client.v21 import as_pages

    if not wanted:
        return set()
    try:
        pages = list(as_pages(collection.get_objects, per_request=len(wanted) * 2, id=sorted(wanted),
                              version="all"))
    except (requests.ConnectionError, requests.Timeout):  # down: the round says so
        raise
    except Exception:  # not readable: the POST decides
        return set()
    return {o["id"] for page in pages for o in (page or {}).get("objects", [])
            if wanted.get(o.get("id")) == o.get("modified")}


def _post(collection: Any, chunk: list[tuple[str, str, list[dict[str, Any]]]]) -> set[str]:
    """POST the chunk's objects in one envelope (each object version once); the sighting ids the collection took
    (or, for a server that reports a repeat as a failure, holds once)."""
    objects = list({(o["id"], o.get("modified")): o for _, _, objs in chunk for o in objs}.values())
    status = collection.add_objects(json.dumps({"objects": objects}))
    wanted = {sid: version for sid, version, _ in chunk}
    taken = {s.get("id") for s in (status.successes or [])} & wanted.keys()
    return taken | _held(collection, {k: v for k, v in wanted.items() if k not in taken})


def _sent(goal: TaxiiTarget, marking: Level, objects: list[dict[str, Any]], sid: str, actor: str
          ) -> outbox.Outcome:
    envelope = canonical_json({"objects": objects})
    record = item(Dissemination(goal.recipient, goal.purpose, "taxii", marking, len(objects), sha256_hex(envelope),
                                len(envelope)), actor=actor, target=f"taxii:{goal.where}#{sid}")
    return outbox.Outcome(entries=(record,))


def _send(collection: Any, goal: TaxiiTarget, rows: list[dict[str, Any]], actor: str, down: list[str]
          ) -> list[outbox.Outcome]:
    """One chunk: the outcome per row, in order. ``down`` holds the error once the server could not be reached."""
    outcomes: list[outbox.Outcome | None] = [None] * len(rows)
    ready: list[tuple[int, Level, str, str, list[dict[str, Any]]]] = []
    for i, row in enumerate(rows):
        marking: Level = level(str(row["tlp"] or "amber"))
        if not allows(goal.tlp, marking):
            outcomes[i] = outbox.Outcome(
                withheld=f"TLP:{marking.upper()} is above the collection's TLP:{goal.tlp.upper()}: not sent",
                details={"tlp": marking, "collection_tlp": goal.tlp})
            continue
        objects = sighting_objects(row, salt=goal.salt)
        ready.append((i, marking, sighting_id(row["key"]), objects[0]["modified"], objects))
    if ready:
        try:
            if down:
                raise _Unreachable
            wanted = {sid: version for _, _, sid, version, _ in ready}
            held = _held(collection, wanted)
            todo = [(sid, version, objs) for _, _, sid, version, objs in ready if sid not in held]
            held |= _post(collection, todo) if todo else set()
            for i, marking, sid, _, objs in ready:
                outcomes[i] = (_sent(goal, marking, objs, sid, actor) if sid in held
                               else outbox.Outcome(error="the collection did not take the sighting"))
        except _Unreachable:
            for i, *_ in ready:
                outcomes[i] = outbox.Outcome(error=down[0])
        except Exception as exc:  # requests / taxii2client errors: in words, no credentials
            error = f"{type(exc).__name__} from {goal.where}"
            if isinstance(exc, requests.ConnectionError | requests.Timeout):
                down.append(error)
            for i, *_ in ready:
                outcomes[i] = outbox.Outcome(error=error)
    return [o if o is not None else outbox.Outcome(error="not tried") for o in outcomes]


class _Unreachable(Exception):
    """The collection could not be reached earlier in this round."""


def deliver(store: GraphStore, goal: TaxiiTarget, *, audit: AuditLog | None = None, now: datetime | None = None,
            base_backoff: float = outbox.BASE_BACKOFF_S, actor: str = "taxii", timeout: float = 10.0
            ) -> outbox.Round:
    """Try every due pending alert once (the collection is asked nothing when none is due)."""
    collection: list[Any] = []
    down: list[str] = []

    def send(rows: list[dict[str, Any]]) -> list[outbox.Outcome]:
        if not collection:
            collection.append(taxii_collection(goal.collection_url, user=goal.user, password=goal.password,
                                               timeout=timeout))
        return _send(collection[0], goal, rows, actor, down)

    done = outbox.run(store, outbox.TAXII, send, batch=CHUNK, audit=audit, now=now, base_backoff=base_backoff,
                      actor=actor)
    return dataclasses.replace(done, tlp=goal.tlp)
