"""TAXII 2.1 polling with ``taxii2-client``: pages through manifests and envelopes, keeps a cursor per feed
(``taxii_cursors.json`` beside the store) so a re-poll fetches only what was added since.

What a poll fetched is kept as a bundle file (``taxii/<feed>/<digest>.json`` beside the store: what the partner
sent, as sent) and loaded from there by :class:`TaxiiLoader`, the STIX loader under its own kind: a ``LoadRun``
record per poll, read/loaded/rejected/skipped like every load, invalid objects in a rejects file with reasons,
versions de-duplicated by id + modified (:mod:`loaders.stix`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import tomllib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from taxii2client.v21 import Collection, as_pages

from exports.taxii_filters import parse_timestamp
from graph.errors import InvalidInput, RemoteUnavailable
from graph.store import GraphStore
from loaders.base import LoadOptions, LoadReport, run_load
from loaders.stix import StixLoader

PAGE_SIZE = 100
#: seconds a TAXII server may take to accept a connection or to send the next bytes of an answer
TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Feed:
    name: str
    api_root: str
    collection: str
    user: str | None = None
    password: str | None = None

    @property
    def collection_url(self) -> str:
        return f"{self.api_root.rstrip('/')}/collections/{self.collection}/"

    @property
    def cursor_key(self) -> str:
        return f"{self.api_root.rstrip('/')}|{self.collection}"


def load_feeds(path: Path) -> list[Feed]:
    """Feeds from TOML: ``[[feed]]`` tables with name, api_root, collection and optional user, password."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(f"feeds file {path}: {exc}") from exc
    feeds = []
    for i, entry in enumerate(data.get("feed", [])):
        missing = [k for k in ("api_root", "collection") if not entry.get(k)]
        if missing:
            raise InvalidInput(f"feeds file {path}: feed #{i + 1} lacks {', '.join(missing)}")
        feeds.append(Feed(entry.get("name") or safe_url(entry["api_root"]), entry["api_root"], entry["collection"],
                          entry.get("user"), entry.get("password")))
    if not feeds:
        raise InvalidInput(f"feeds file {path}: no [[feed]] tables")
    return feeds


class Cursors:
    """``{feed: last date_added seen}``, persisted as JSON."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.values: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}

    def get(self, feed: Feed) -> str | None:
        return self.values.get(feed.cursor_key)

    def set(self, feed: Feed, value: str) -> None:
        self.values[feed.cursor_key] = value
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.values, indent=1, sort_keys=True))
        tmp.replace(self.path)


def later(a: str, b: str) -> bool:
    """``a`` is a later instant than ``b`` (TAXII timestamps differ in precision and offset: never compare text)."""
    try:
        return parse_timestamp(a) > parse_timestamp(b)
    except InvalidInput:
        raise InvalidInput(f"TAXII server sent a date_added that is not a timestamp: {a[:40]!r}") from None


def collection(url: str, *, user: str | None = None, password: str | None = None,
               timeout: float = TIMEOUT_S) -> Collection:
    """A TAXII 2.1 collection whose every request gives up after ``timeout`` seconds without an answer.
    taxii2-client sets no timeout: a server that takes the connection and never answers would hold the command
    (and the store it has open) for ever. Polling and the alert sightings (:mod:`api.sightings`) both use this."""
    from taxii2client.common import _HTTPConnection

    conn = _HTTPConnection(user=user, password=password, version="2.1")
    conn.session.request = functools.partial(conn.session.request, timeout=timeout)
    return Collection(url, conn=conn)


def fetch(feed: Feed, added_after: str | None, *, timeout: float = TIMEOUT_S
          ) -> tuple[list[dict[str, Any]], str | None]:
    """Objects added after the cursor and the newest ``date_added`` among them (from the manifest). A server that
    fails, refuses or does not answer within ``timeout`` seconds: one line naming the feed (exit 2, HTTP 502)."""
    try:
        collection_ = collection(feed.collection_url, user=feed.user, password=feed.password, timeout=timeout)
        filters: dict[str, Any] = {"added_after": added_after} if added_after else {}
        newest: str | None = None
        for page in as_pages(collection_.get_manifest, per_request=PAGE_SIZE, **filters):
            for entry in page.get("objects", []):
                stamp = entry.get("date_added")
                if stamp and (newest is None or later(stamp, newest)):
                    newest = stamp
        objects: list[dict[str, Any]] = []
        for envelope in as_pages(collection_.get_objects, per_request=PAGE_SIZE, **filters):
            objects.extend(envelope.get("objects", []))
    except InvalidInput:
        raise
    except Exception as exc:  # requests / taxii2client errors: name the feed, never credentials
        import requests

        why = (f"no answer within {timeout:g} s" if isinstance(exc, requests.Timeout) else "the request failed")
        where = safe_url(feed.api_root)
        named = where if feed.name == where else f"{feed.name} at {where}"
        raise RemoteUnavailable(f"TAXII feed {named}: {why} ({type(exc).__name__})") from exc
    return objects, newest


class TaxiiLoader(StixLoader):
    """The objects of one TAXII poll (saved as a bundle file) -> ``Intel``; the load run says ``taxii``."""

    kind = "taxii"


def save_bundle(objects: list[dict[str, Any]], folder: Path) -> Path:
    """The fetched objects as a bundle file named by its content's digest (the same poll result, the same file
    and the same load run id)."""
    text = json.dumps(objects, sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(text.encode()).hexdigest()
    bundle = {"type": "bundle", "id": f"bundle--{uuid.UUID(hex=digest[:32])}", "objects": objects}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{digest[:16]}.json"
    path.write_text(json.dumps(bundle, indent=1, sort_keys=True, ensure_ascii=False), encoding="utf-8")
    return path


def safe_url(url: str) -> str:
    """A URL as it may be shown: no user or password, even when it carried them."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}{parts.path}"


def poll(store: GraphStore, feed: Feed, cursors: Cursors, added_after: str | None = None,
         inbox: Path | None = None, *, timeout: float = TIMEOUT_S) -> dict[str, Any]:
    """Fetch what the feed added since its cursor, save it (``inbox``, default ``taxii/`` beside the cursors
    file), load it as a ``taxii`` load run (rejects beside the store, as for every load) and move the cursor.
    Returns the poll and its load report."""
    since = added_after or cursors.get(feed)
    objects, newest = fetch(feed, since, timeout=timeout)
    folder = (inbox or cursors.path.parent / "taxii") / (re.sub(r"[^A-Za-z0-9._-]+", "_", feed.name) or "feed")
    path = save_bundle(objects, folder)
    report: LoadReport = run_load(TaxiiLoader, store, path, LoadOptions(intel_source=f"taxii:{feed.name}"))
    if newest and (since is None or later(newest, since)):
        cursors.set(feed, newest)
    return {"feed": feed.name, "added_after": since, "fetched": len(objects), "cursor": cursors.get(feed),
            "run_id": report.run_id, "file": report.file, "read": report.read, "loaded": report.loaded,
            "rejected": report.rejected, "skipped": report.skipped, "rejects_file": report.rejects_file,
            "imported": report.details["new_versions"], "duplicates": report.details["already_held"],
            "links": report.details["links"]}
