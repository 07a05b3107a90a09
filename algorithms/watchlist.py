"""The watchlist in the store (``Watch`` nodes), and the requests that wait to reach it.

Watches are added and removed through :mod:`api.services.watches` from the CLI and the HTTP API. A process that
holds the store for writing (the CLI, the API through ``ApiContext.writing``, Neo4j) writes a change at once. When
the API cannot open the embedded file for writing (another process holds it), the change is appended to a small
journal next to the store file
(``<store>.watch-requests.jsonl``, one JSON object a line, appended under an exclusive ``flock``) and every reader
of the watchlist sees the graph's watches with the journal applied on top (:func:`current`). The next process
that writes the store — ``tracegraph load`` (its automatic analysis), ``analyze --incremental``, ``watch ...`` —
folds the journal into the graph (:func:`apply_pending`) before it evaluates any alert, so a watch added through
the API counts from the next batch on.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from graph.errors import InvalidInput
from graph.store import GraphStore

WATCH_KINDS = ("person", "dealer", "network", "firearm", "serial", "place", "corridor")
MIN_FRAGMENT = 3
FIELDS = ("kind", "value", "note", "created_by", "created_at", "active")
_SERIAL = re.compile(r"[^0-9A-Z*?]")


def watch_id(kind: str, value: str) -> str:
    return "watch-" + hashlib.sha256(f"{kind}\x1f{value}".encode()).hexdigest()[:16]


def normalise_watch(kind: str, value: str) -> str:
    """The stored form of a watch value; bad values raise :class:`InvalidInput` with one clear line."""
    if kind not in WATCH_KINDS:
        raise InvalidInput(f"unknown watch kind {kind!r}: use one of {', '.join(WATCH_KINDS)}")
    text = value.strip()
    if not text:
        raise InvalidInput("a watch needs a value")
    if kind == "serial":
        text = _SERIAL.sub("", text.upper())
        if len(text.replace("*", "").replace("?", "")) < MIN_FRAGMENT:
            raise InvalidInput(f"a serial pattern needs at least {MIN_FRAGMENT} characters besides * and ?")
    if kind == "place" and not re.fullmatch(r"(state:US-[A-Z]{2}|city:US-[A-Z]{2}:.+|country:[A-Z]{2})", text):
        raise InvalidInput("a place is a location key: state:US-NY, city:US-NY:NEW YORK or country:MX")
    if kind == "corridor" and not re.fullmatch(r"state:US-[A-Z]{2}>(state:US-[A-Z]{2}|country:[A-Z]{2})", text):
        raise InvalidInput("a corridor is 'state:US-GA>state:US-NY' (source>destination)")
    return text


def watch_rows(kind: str, value: str, *, note: str | None = None, created_by: str = "cli") -> dict[str, Any]:
    value = normalise_watch(kind, value)
    return {"watch_id": watch_id(kind, value), "kind": kind, "value": value, "note": note,
            "created_by": created_by, "created_at": datetime.now(UTC).replace(tzinfo=None), "active": True}


# --- the journal of requests made by read-only holders of the store --------------------------------------------

def journal_path(store: GraphStore) -> Path | None:
    """Where the API's watch requests wait for this store (embedded stores only; Neo4j is written at once)."""
    if getattr(store, "backend", None) != "embedded":
        return None
    path = Path(store.path)  # type: ignore[attr-defined]
    return path.with_name(path.name + ".watch-requests.jsonl")


@contextmanager
def _locked(path: Path) -> Iterator[Any]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield handle
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def append_request(path: Path, row: dict[str, Any]) -> None:
    """One change (a full watch row, or ``{"watch_id", "active": False}``), durable before this returns."""
    line = json.dumps(row, sort_keys=True, default=str) + "\n"
    with _locked(path) as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())


def pending(path: Path | None) -> list[dict[str, Any]]:
    if path is None or not path.exists():
        return []
    with _locked(path) as handle:
        handle.seek(0)
        return [_decoded(json.loads(line)) for line in handle if line.strip()]


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    if isinstance(row.get("created_at"), str):
        row["created_at"] = datetime.fromisoformat(row["created_at"])
    return row


def _stored(store: GraphStore) -> pd.DataFrame:
    return store.node_table("Watch", FIELDS).to_pandas().rename(columns={"key": "watch_id"})


def _overlay(frame: pd.DataFrame, requests: list[dict[str, Any]]) -> pd.DataFrame:
    rows = {str(r["watch_id"]): dict(r) for r in frame.to_dict("records")}
    for change in requests:
        key = str(change["watch_id"])
        rows[key] = {**rows.get(key, {}), **change}
    columns = ["watch_id", *FIELDS]
    return pd.DataFrame([{c: row.get(c) for c in columns} for row in rows.values()], columns=columns)


def current(store: GraphStore) -> pd.DataFrame:
    """Every watch (``watch_id`` and :data:`FIELDS`), the journal's requests applied, sorted by id."""
    frame = _overlay(_stored(store), pending(journal_path(store)))
    return frame.sort_values("watch_id").reset_index(drop=True)


def apply_pending(store: GraphStore) -> int:
    """Fold the journal into the graph (the store must be open for writing); returns how many requests."""
    path = journal_path(store)
    if path is None or not path.exists():
        return 0
    with _locked(path) as handle:
        handle.seek(0)
        requests = [_decoded(json.loads(line)) for line in handle if line.strip()]
        if requests:
            keys = {str(r["watch_id"]) for r in requests}
            stored = _stored(store)
            merged = _overlay(stored[stored["watch_id"].isin(keys)], requests)
            store.upsert_nodes("Watch", merged.to_dict("records"))
        handle.truncate(0)
    return len(requests)
