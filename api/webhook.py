"""Alert delivery to a webhook, one channel of the outbox the store keeps (``Alert.delivery_state``;
:mod:`api.services.outbox`).

An alert is raised ``pending``; :func:`deliver` POSTs each pending alert whose ``next_attempt_at`` has come (JSON
body, ``Idempotency-Key: <alert id>`` so a receiver can drop a repeat) and marks it ``delivered`` only after a 2xx
answer. A failure (refused connection, timeout, non-2xx) leaves it pending with the attempt counted, the error in
words and the next attempt pushed back exponentially. Every attempt is written to the audit log (alert id,
outcome, HTTP status; no personal data).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import httpx
import pandas as pd

from api.audit import AuditLog
from api.services import outbox
from graph.store import GraphStore


def payload(row: dict[str, Any]) -> dict[str, Any]:
    return {"type": "tracegraph.alert", "alert_id": row["key"], "rule": row["rule"], "reason": row["reason"],
            "subject": {"label": row["subject_label"], "key": row["subject_key"]}, "watch_id": row["watch_id"],
            "evidence": json.loads(row["evidence"] or "{}"), "load_runs": json.loads(row["load_runs"] or "[]"),
            "analysis_run_id": row["analysis_run_id"], "tlp": row["tlp"],
            "created_at": pd.Timestamp(row["created_at"]).isoformat() + "Z"}


def _post(http: httpx.Client, url: str, row: dict[str, Any]) -> outbox.Outcome:
    status: int | None = None
    try:
        answer = http.post(url, json=payload(row), headers={"Idempotency-Key": row["key"]})
        status = answer.status_code
        error = None if answer.is_success else f"HTTP {status}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
    return outbox.Outcome(error=error, details={"status": status})


def deliver(store: GraphStore, url: str, *, audit: AuditLog | None = None, client: httpx.Client | None = None,
            now: datetime | None = None, base_backoff: float = outbox.BASE_BACKOFF_S, timeout: float = 5.0
            ) -> outbox.Round:
    """Try every due pending alert once."""
    http = client or httpx.Client(timeout=timeout)
    try:
        return outbox.run(store, outbox.WEBHOOK, lambda rows: [_post(http, url, row) for row in rows],
                          audit=audit, now=now, base_backoff=base_backoff)
    finally:
        if client is None:
            http.close()
