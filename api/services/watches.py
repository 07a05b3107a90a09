"""The watchlist for the CLI (``tracegraph watch``) and the HTTP API (``/api/v1/watches``): one service.

Who may change it: every role but partners. A person watch names a person key, so it needs a caller who sees
persons in full; every other kind needs the clearance to read its label. The local CLI operator (no principal) may
do everything. Where the change goes is :mod:`algorithms.watchlist`'s business: at once into a store open for
writing, or queued beside an embedded store the caller holds read-only (the API's workers)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from algorithms import watchlist
from api.security import Principal
from api.services.release import Release
from graph.errors import Forbidden, InvalidInput, NotFound
from graph.store import GraphStore

_LABEL = {"person": "Person", "dealer": "Dealer", "network": "Network", "firearm": "Firearm", "serial": "Firearm",
          "place": "Location", "corridor": "Location"}


def _check(principal: Principal | None, kind: str) -> None:
    if principal is None:
        return
    if principal.role == "partner":
        raise Forbidden("partners may read alerts released to them but not change the watchlist")
    release = Release(principal)
    if kind == "person" and not release.full_persons:
        raise Forbidden("a person watch needs a role that sees persons in full (investigator or admin)")
    if not release.visible(_LABEL[kind]):
        raise Forbidden(f"{_LABEL[kind]} objects are not released at your clearance")


def listing(store: GraphStore, principal: Principal | None = None) -> list[dict[str, Any]]:
    """Every watch (active or not) as this caller may see it, sorted by id."""
    rows = [_row(r) for r in watchlist.current(store).to_dict("records")]
    if principal is None:
        return rows
    release = Release(principal)
    return [shown for shown in (release.node("Watch", r) for r in rows) if shown is not None]


def _row(record: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in record.items():
        if value is None or (not isinstance(value, (str, bool)) and pd.isna(value)):
            out[name] = None
        elif hasattr(value, "to_pydatetime"):
            out[name] = value.to_pydatetime()
        else:
            out[name] = value.item() if hasattr(value, "item") else value
    if out.get("active") is not None:
        out["active"] = bool(out["active"])
    return out


def add(store: GraphStore, kind: str, value: str, *, note: str | None = None, principal: Principal | None = None,
        queue: bool = False) -> dict[str, Any]:
    """Watch an item (adding the same kind and value again reactivates it and keeps one watch). ``queue``: the
    caller holds the store read-only; the change waits in the journal."""
    if kind not in watchlist.WATCH_KINDS:
        raise InvalidInput(f"unknown watch kind {kind!r}: use one of {', '.join(watchlist.WATCH_KINDS)}")
    _check(principal, kind)
    row = watchlist.watch_rows(kind, value, note=note,
                               created_by="cli" if principal is None else f"api:{principal.key_id}")
    _write(store, row, queue=queue)
    return row


def remove(store: GraphStore, watch_id: str, *, principal: Principal | None = None, queue: bool = False
           ) -> dict[str, Any]:
    """Stop watching (the watch and its alerts stay in the graph, inactive)."""
    known = watchlist.current(store)
    found = known[known["watch_id"] == watch_id]
    if found.empty:
        raise NotFound(f"no watch {watch_id}")
    _check(principal, str(found.iloc[0]["kind"]))
    _write(store, {"watch_id": watch_id, "active": False}, queue=queue)
    return {**_row(found.iloc[0].to_dict()), "active": False}


def _write(store: GraphStore, row: dict[str, Any], *, queue: bool) -> None:
    path = watchlist.journal_path(store) if queue else None
    if path is not None:
        watchlist.append_request(path, row)
    else:
        watchlist.apply_pending(store)  # earlier queued requests first, so the order holds
        store.upsert_nodes("Watch", [row])
