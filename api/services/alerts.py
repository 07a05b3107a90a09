"""Alerts and watchlists over HTTP. Alerts are read from the store (a small table that every incremental run
grows, so not part of the snapshot), under the context's lock; roles and TLP apply through :class:`Release`:
an alert is AMBER, a person it names is pseudonymised for callers who see persons masked. Watchlists are read
and changed through :mod:`api.services.watches`, the service ``tracegraph watch`` uses, written through
``ApiContext.writing`` (queued beside the store when other workers hold it)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pandas as pd

from algorithms.alerts import coverage, list_alerts
from api.security import Principal
from api.services import models as m
from api.services.release import Release
from api.services.snapshot import ApiContext
from graph.errors import InvalidInput, StoreBusy
from graph.store import GraphStore


def _plain(value: Any) -> Any:
    if value is None or (not isinstance(value, (list, dict, str)) and pd.isna(value)):
        return None
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()
    if hasattr(value, "item"):
        return value.item()
    return value


def alerts(context: ApiContext, principal: Principal, *, rule: str | None, cursor: str | None, limit: int
           ) -> m.AlertPage:
    release = Release(principal)
    with context.lock:
        frame = list_alerts(context.store, rule=rule)
        missing = coverage(context.store)
    start = 0
    if cursor:
        if not cursor.isdigit():
            raise InvalidInput("cursor: not one this API issued")
        start = int(cursor)
    page = frame.iloc[start:start + limit]
    items = []
    for row in page.to_dict("records"):
        props = {k: _plain(v) for k, v in row.items()}
        shown = release.node("Alert", props)
        if shown is None:
            continue
        if shown.get("subject_label") == "Person":
            subject = release.key("Person", str(shown["subject_key"]))
            if subject is None:
                continue
            shown["subject_key"] = subject
        shown["evidence"] = _evidence(release, shown.get("evidence"))
        items.append(m.AlertNode.model_validate(shown))
    following = str(start + limit) if start + limit < len(frame) else None
    return m.AlertPage(items=items, total=len(frame), next_cursor=following, unavailable=missing)


def _evidence(release: Release, text: Any) -> str | None:
    """Evidence as stored, with person keys released the way the caller may see them."""
    if not isinstance(text, str):
        return None
    evidence = json.loads(text)
    if isinstance(evidence, dict) and "person_key" in evidence:
        evidence["person_key"] = release.key("Person", str(evidence["person_key"]))
    return json.dumps(evidence, sort_keys=True)


def watches(context: ApiContext, principal: Principal) -> m.WatchList:
    from api.services import watches as service

    with context.lock:
        rows = service.listing(context.store, principal)
    return m.WatchList(items=[m.WatchNode.model_validate(r) for r in rows])


def add_watch(context: ApiContext, principal: Principal, body: m.WatchIn) -> m.WatchChange:
    from api.services import watches as service

    row, applied = _change(context, lambda store, queue: service.add(
        store, body.kind, body.value, note=body.note, principal=principal, queue=queue))
    return m.WatchChange(watch=m.WatchNode.model_validate(row), applied=applied)


def remove_watch(context: ApiContext, principal: Principal, watch_id: str) -> m.WatchChange:
    from api.services import watches as service

    row, applied = _change(context, lambda store, queue: service.remove(store, watch_id, principal=principal,
                                                                        queue=queue))
    return m.WatchChange(watch=m.WatchNode.model_validate(row), applied=applied)


def _change(context: ApiContext, change: Callable[[GraphStore, bool], dict[str, Any]]) -> tuple[dict[str, Any], bool]:
    """A watchlist change written through :meth:`ApiContext.writing` (the API's one way to write); when other
    workers hold the embedded file (``serve --workers N``) it is queued beside the store instead (applied by the
    next load or analysis; listings show it at once). (row, applied)."""
    try:
        with context.writing() as store:
            return change(store, False), True
    except StoreBusy:
        with context.lock:
            return change(context.store, True), False
