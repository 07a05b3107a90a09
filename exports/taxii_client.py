"""TAXII 2.1 polling with ``taxii2-client``: pages through manifests and envelopes, keeps a cursor per feed
(``taxii_cursors.json`` beside the store) so a re-poll fetches only what was added since, and hands the objects
to the STIX importer (which de-duplicates by id + modified and rejects invalid objects with reasons).
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from taxii2client.v21 import Collection, as_pages

from exports.stix_import import ImportReport, import_objects
from exports.taxii_filters import parse_timestamp
from graph.errors import InvalidInput, StoreUnavailable
from graph.store import GraphStore

PAGE_SIZE = 100


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
        feeds.append(Feed(entry.get("name") or entry["api_root"], entry["api_root"], entry["collection"],
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


def fetch(feed: Feed, added_after: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Objects added after the cursor and the newest ``date_added`` among them (from the manifest)."""
    try:
        collection = Collection(feed.collection_url, user=feed.user, password=feed.password)
        filters: dict[str, Any] = {"added_after": added_after} if added_after else {}
        newest: str | None = None
        for page in as_pages(collection.get_manifest, per_request=PAGE_SIZE, **filters):
            for entry in page.get("objects", []):
                stamp = entry.get("date_added")
                if stamp and (newest is None or later(stamp, newest)):
                    newest = stamp
        objects: list[dict[str, Any]] = []
        for envelope in as_pages(collection.get_objects, per_request=PAGE_SIZE, **filters):
            objects.extend(envelope.get("objects", []))
    except InvalidInput:
        raise
    except Exception as exc:  # requests / taxii2client errors: name the feed, never credentials
        raise StoreUnavailable(f"TAXII feed {feed.name} at {feed.api_root}: {type(exc).__name__}") from exc
    return objects, newest


def poll(store: GraphStore, feed: Feed, cursors: Cursors, added_after: str | None = None) -> dict[str, Any]:
    since = added_after or cursors.get(feed)
    objects, newest = fetch(feed, since)
    report: ImportReport = import_objects(store, objects, source=f"taxii:{feed.name}")
    if newest and (since is None or later(newest, since)):
        cursors.set(feed, newest)
    return {"feed": feed.name, "added_after": since, "fetched": len(objects), "cursor": cursors.get(feed),
            **report.as_dict()}
