"""The alert outbox both delivery channels share: the webhook (:mod:`api.webhook`) and STIX sightings to a TAXII
collection (:mod:`api.sightings`). The outbox is the store itself (each ``Alert`` carries a state per channel), so
nothing is lost while a receiver is down.

One round (:func:`run`) reads the channel's pending alerts with one Cypher statement (``alert_outbox_<channel>``;
never the whole Alert table) and tries each one whose next attempt has come, once, oldest first, through the
channel's ``attempt`` function, given ``batch`` alerts at a time (the webhook takes one alert per request; a TAXII
collection takes a chunk of sightings in one request), which says per alert what happened (:class:`Outcome`):

* delivered: the state becomes ``delivered`` (the channel made sure the receiver holds it once: an idempotency key,
  or asking the collection first);
* withheld: not sent and never will be (an alert above the collection's TLP); the state says ``withheld`` and the
  reason is kept in words;
* failed: it stays pending, the attempt counted, the error in words (no credentials), the next attempt pushed back
  exponentially (:func:`backoff`).

The outcomes of a round are written back in one upsert, and its audit entries in one append: ``alert.deliver``
(outcome, attempt, no personal data) per attempt, ``alert.withhold`` per alert withheld, and whatever the channel
adds for a delivered alert (the ``disseminate`` record of a sighting).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from api.audit import AuditLog
from graph.store import GraphStore

BASE_BACKOFF_S = 30.0
MAX_BACKOFF_S = 3600.0


@dataclass(frozen=True)
class Channel:
    """Where a channel keeps its outbox state on the ``Alert`` node."""

    name: str  # the audit entries' channel; its pending alerts come from the statement alert_outbox_<name>
    state: str
    attempts: str
    next_attempt_at: str
    delivered_at: str
    last_error: str

    @property
    def statement(self) -> str:
        return f"alert_outbox_{self.name}"


WEBHOOK = Channel("webhook", "delivery_state", "delivery_attempts", "next_attempt_at", "delivered_at", "last_error")
TAXII = Channel("taxii", "taxii_state", "taxii_attempts", "taxii_next_attempt_at", "taxii_delivered_at",
                "taxii_last_error")


@dataclass(frozen=True)
class Outcome:
    """What one attempt at one alert did. ``error`` None and ``withheld`` None: delivered."""

    error: str | None = None
    withheld: str | None = None  # why it is not sent (no attempt is counted)
    details: dict[str, Any] = field(default_factory=dict)  # for its alert.deliver / alert.withhold entry
    entries: tuple[dict[str, Any], ...] = ()  # further audit entries when delivered (a dissemination)


@dataclass(frozen=True)
class Round:
    """What one round of one channel did."""

    delivered: int
    failed: int
    waiting: int  # pending alerts whose next attempt has not come yet
    withheld: int = 0
    tlp: str | None = None  # the TAXII collection's ceiling

    def words(self, channel: str) -> str:
        text = f"{channel}: delivered {self.delivered}, failed {self.failed} (will retry), waiting {self.waiting}"
        if self.withheld:
            text += (f", withheld {self.withheld} (TLP above the collection's TLP:{(self.tlp or '').upper()}: "
                     "not sent)")
        return text


def backoff(attempts: int, *, base: float = BASE_BACKOFF_S, cap: float = MAX_BACKOFF_S) -> timedelta:
    """Wait before the attempt after ``attempts`` failed ones: base, 2 base, 4 base, ... capped."""
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def pending(store: GraphStore, channel: Channel, now: datetime) -> tuple[list[dict[str, Any]], int]:
    """(the pending alerts whose next attempt has come, oldest first; how many others wait)."""
    rows = store.query(channel.statement, {"now": now}).rows()
    due = [r for r in rows if r["due"]]
    return due, len(rows) - len(due)


def run(store: GraphStore, channel: Channel, attempt: Callable[[list[dict[str, Any]]], list[Outcome]], *,
        batch: int = 1, audit: AuditLog | None = None, now: datetime | None = None,
        base_backoff: float = BASE_BACKOFF_S, actor: str | None = None) -> Round:
    """Try every due pending alert of ``channel`` once with ``attempt``, given up to ``batch`` alert rows at a time
    (key, rule, reason, subject, evidence, load runs, run, created_at, tlp, attempts) and answering one
    :class:`Outcome` per row, in order."""
    moment = (now or datetime.now(UTC)).replace(tzinfo=None)
    who = actor or channel.name
    due, waiting = pending(store, channel, moment)
    delivered = failed = withheld = 0
    updates: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    step = max(1, batch)
    tried = ((row, outcome) for start in range(0, len(due), step)
             for row, outcome in zip(due[start:start + step], attempt(due[start:start + step]), strict=True))
    try:
        for row, outcome in tried:
            key = row["key"]
            if outcome.withheld is not None:
                withheld += 1
                updates.append({"alert_id": key, channel.state: "withheld", channel.last_error: outcome.withheld})
                entries.append({"actor": who, "action": "alert.withhold", "target": key, "outcome": "withheld",
                                "details": {"channel": channel.name, **outcome.details}})
                continue
            attempts = int(row["attempts"] or 0) + 1
            if outcome.error is None:
                delivered += 1
                updates.append({"alert_id": key, channel.state: "delivered", channel.attempts: attempts,
                                channel.delivered_at: moment})
                entries.extend(outcome.entries)
            else:
                failed += 1
                updates.append({"alert_id": key, channel.attempts: attempts, channel.last_error: outcome.error,
                                channel.next_attempt_at: moment + backoff(attempts, base=base_backoff)})
            entries.append({"actor": who, "action": "alert.deliver", "target": key,
                            "outcome": "ok" if outcome.error is None else "error",
                            "details": {"channel": channel.name, "attempt": attempts, **outcome.details}})
    finally:  # what was tried is recorded even when a round stops half way
        _write(store, updates)
        if audit is not None and entries:
            audit.append_many(entries)
    return Round(delivered=delivered, failed=failed, waiting=waiting, withheld=withheld)


def _write(store: GraphStore, updates: list[dict[str, Any]]) -> None:
    """The round's outcomes in one upsert. Every row gets every column (an Arrow table built from dicts takes its
    columns from the first one); a column a row does not set is null, which an upsert never writes."""
    if not updates:
        return
    names = list(dict.fromkeys(name for update in updates for name in update))
    store.upsert_nodes("Alert", [{name: update.get(name) for name in names} for update in updates])
