"""Alert delivery to a webhook, from the outbox the store keeps (``Alert.delivery_state``).

An alert is raised ``pending``; :func:`deliver` POSTs each pending alert whose ``next_attempt_at`` has come
(JSON body, ``Idempotency-Key: <alert id>`` so a receiver can drop a repeat) and marks it ``delivered`` only
after a 2xx answer. A failure (refused connection, timeout, non-2xx) leaves it pending with the attempt counted,
the error in words and the next attempt pushed back exponentially (``BASE_BACKOFF_S`` doubled per attempt, at
most ``MAX_BACKOFF_S``). Nothing is lost while the receiver is down: the outbox is the store itself. Every
attempt is written to the audit log (alert id, outcome, HTTP status; no personal data).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pandas as pd

from api.audit import AuditLog
from graph.store import GraphStore

BASE_BACKOFF_S = 30.0
MAX_BACKOFF_S = 3600.0


@dataclass(frozen=True)
class DeliveryReport:
    delivered: int
    failed: int
    waiting: int  # pending alerts whose next attempt has not come yet


def backoff(attempts: int, *, base: float = BASE_BACKOFF_S, cap: float = MAX_BACKOFF_S) -> timedelta:
    """Wait before the attempt after ``attempts`` failed ones: base, 2 base, 4 base, ... capped."""
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def payload(row: dict[str, Any]) -> dict[str, Any]:
    return {"type": "tracegraph.alert", "alert_id": row["key"], "rule": row["rule"], "reason": row["reason"],
            "subject": {"label": row["subject_label"], "key": row["subject_key"]}, "watch_id": row["watch_id"],
            "evidence": json.loads(row["evidence"] or "{}"), "load_runs": json.loads(row["load_runs"] or "[]"),
            "analysis_run_id": row["analysis_run_id"], "tlp": row["tlp"],
            "created_at": pd.Timestamp(row["created_at"]).isoformat() + "Z"}


def deliver(store: GraphStore, url: str, *, audit: AuditLog | None = None, client: httpx.Client | None = None,
            now: datetime | None = None, base_backoff: float = BASE_BACKOFF_S, timeout: float = 5.0
            ) -> DeliveryReport:
    """Try every due pending alert once."""
    moment = (now or datetime.now(UTC)).replace(tzinfo=None)
    names = ("rule", "reason", "subject_label", "subject_key", "watch_id", "evidence", "load_runs",
             "analysis_run_id", "created_at", "tlp", "delivery_state", "delivery_attempts", "next_attempt_at")
    table = store.node_table("Alert", names).to_pylist()
    pending = sorted((r for r in table if r["delivery_state"] == "pending"), key=lambda r: (r["created_at"], r["key"]))
    due = [r for r in pending if r["next_attempt_at"] is None or r["next_attempt_at"] <= moment]
    own = client is None
    http = client or httpx.Client(timeout=timeout)
    delivered = failed = 0
    updates: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    try:
        for row in due:
            attempts = int(row["delivery_attempts"] or 0) + 1
            error: str | None = None
            status: int | None = None
            try:
                answer = http.post(url, json=payload(row), headers={"Idempotency-Key": row["key"]})
                status = answer.status_code
                if not answer.is_success:
                    error = f"HTTP {status}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:300]
            if error is None:
                delivered += 1
                updates.append({"alert_id": row["key"], "delivery_state": "delivered", "delivery_attempts": attempts,
                                "delivered_at": moment})
            else:
                failed += 1
                updates.append({"alert_id": row["key"], "delivery_attempts": attempts, "last_error": error,
                                "next_attempt_at": moment + backoff(attempts, base=base_backoff)})
            entries.append({"actor": "webhook", "action": "alert.deliver", "target": row["key"],
                            "outcome": "ok" if error is None else "error",
                            "details": {"attempt": attempts, "status": status}})
    finally:
        if own:
            http.close()
        for update in updates:  # one row per alert: each keeps its own columns
            store.upsert_nodes("Alert", [update])
        if audit is not None and entries:
            audit.append_many(entries)
    return DeliveryReport(delivered=delivered, failed=failed, waiting=len(pending) - len(due))
