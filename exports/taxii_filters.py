"""TAXII 2.1 filtering and paging (section 3.5 and 3.6), pure: timestamps, ``match[...]``, ``limit`` / ``next``.

Timestamps are RFC 3339 date-times (``2026-12-02T18:34:34Z``, ``…34.698Z``, ``…+01:00``) and are compared as
instants, never as text. A filter value this server cannot read is :class:`graph.errors.InvalidInput` (a TAXII
400). ``limit`` above :data:`MAX_PAGE` is served as :data:`MAX_PAGE` (section 3.6: the server may return fewer).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from graph.errors import InvalidInput

MAX_PAGE = 1000
SPEC_VERSIONS = frozenset({"2.0", "2.1"})
_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$")


def parse_timestamp(text: str, what: str = "timestamp") -> dt.datetime:
    """An RFC 3339 date-time as a naive UTC datetime (microseconds; finer digits are dropped).

    >>> parse_timestamp("2026-12-02T18:34:34.698Z")
    datetime.datetime(2026, 12, 2, 18, 34, 34, 698000)
    >>> parse_timestamp("2026-12-02T19:34:34+01:00")
    datetime.datetime(2026, 12, 2, 18, 34, 34)
    """
    found = _TIMESTAMP.match(text.strip())
    if found is None:
        raise InvalidInput(f"{what} must be an RFC 3339 timestamp such as 2026-12-02T18:34:34.698Z")
    day, clock, fraction, zone = found.groups()
    micro = (fraction or "").ljust(6, "0")[:6]
    zone = "+00:00" if zone in ("Z", "z") else zone
    try:
        stamp = dt.datetime.fromisoformat(f"{day}T{clock}.{micro}{zone}").astimezone(dt.UTC)
    except (ValueError, OverflowError):  # OverflowError: year 1 or 9999 moved out of range by the offset
        raise InvalidInput(f"{what}: {day}T{clock} is not a calendar date and time") from None
    return stamp.replace(tzinfo=None)


def format_timestamp(value: dt.datetime) -> str:
    """Millisecond precision with ``Z``, as STIX writes timestamps."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass(frozen=True)
class Entry:
    """One object version in a collection: the object, when the server added it, and its version."""

    obj: dict[str, Any]
    added: dt.datetime
    version: dt.datetime

    @property
    def id(self) -> str:
        return str(self.obj["id"])

    @property
    def added_text(self) -> str:
        return format_timestamp(self.added)

    @property
    def version_text(self) -> str:
        return str(self.obj.get("modified") or self.obj.get("created") or self.added_text)


def entry(obj: dict[str, Any], date_added: str) -> Entry:
    version = obj.get("modified") or obj.get("created")
    added = parse_timestamp(date_added, "date_added")
    return Entry(obj, added, parse_timestamp(version, "modified") if version else added)


@dataclass(frozen=True)
class Filters:
    added_after: dt.datetime | None = None
    types: frozenset[str] | None = None
    ids: frozenset[str] | None = None
    versions: tuple[str, ...] = ("last",)          # first | last | all | timestamps (as given, parsed below)
    spec_versions: frozenset[str] | None = None     # None: every object's latest, here always 2.1
    limit: int = MAX_PAGE
    start: int = 0


def _csv(value: str | None) -> list[str] | None:
    if value is None:
        return None
    parts = [p.strip() for p in value.split(",")]
    if not all(parts):
        raise InvalidInput("match[] values are comma-separated and none may be empty")
    return parts


def parse_filters(added_after: str | None = None, types: str | None = None, ids: str | None = None,
                  versions: str | None = None, spec_versions: str | None = None, limit: int | None = None,
                  next_: str | None = None) -> Filters:
    spec = _csv(spec_versions)
    if spec is not None and not set(spec) <= SPEC_VERSIONS:
        raise InvalidInput("match[spec_version] takes 2.0 and/or 2.1")
    version_values = _csv(versions) or ["last"]
    for value in version_values:
        if value not in ("first", "last", "all"):
            parse_timestamp(value, "match[version]")
    if limit is not None and limit < 1:
        raise InvalidInput("limit must be a positive integer")
    start = 0
    if next_ is not None:
        if not next_.isdigit():
            raise InvalidInput("next must be a value returned by this server")
        start = int(next_)
    type_values, id_values = _csv(types), _csv(ids)
    return Filters(added_after=parse_timestamp(added_after, "added_after") if added_after is not None else None,
                   types=frozenset(type_values) if type_values else None,
                   ids=frozenset(id_values) if id_values else None, versions=tuple(version_values),
                   spec_versions=frozenset(spec) if spec else None, limit=min(limit or MAX_PAGE, MAX_PAGE),
                   start=start)


def _version_match(entries: list[Entry], wanted: tuple[str, ...]) -> list[Entry]:
    if "all" in wanted:
        return entries
    by_id: dict[str, list[Entry]] = {}
    for e in entries:
        by_id.setdefault(e.id, []).append(e)
    stamps = {parse_timestamp(v) for v in wanted if v not in ("first", "last")}
    keep: set[int] = set()
    for versions in by_id.values():
        if "first" in wanted:
            keep.add(id(min(versions, key=lambda e: e.version)))
        if "last" in wanted:
            keep.add(id(max(versions, key=lambda e: e.version)))
        keep.update(id(e) for e in versions if e.version in stamps)
    return [e for e in entries if id(e) in keep]


def select(entries: Iterable[Entry], filters: Filters) -> list[Entry]:
    """The entries the filters match, in collection order (``date_added``, then id)."""
    chosen = [e for e in entries
              if (filters.added_after is None or e.added > filters.added_after)
              and (filters.types is None or e.obj.get("type") in filters.types)
              and (filters.ids is None or e.id in filters.ids)
              and (filters.spec_versions is None or str(e.obj.get("spec_version", "2.1")) in filters.spec_versions)]
    return _version_match(chosen, filters.versions)


def page(entries: list[Entry], filters: Filters) -> tuple[list[Entry], bool, str | None]:
    """One page from ``filters.start``: the entries, whether more follow, and the ``next`` token."""
    chunk = entries[filters.start:filters.start + filters.limit]
    end = filters.start + len(chunk)
    more = end < len(entries)
    return chunk, more, str(end) if more else None


def date_added_headers(chunk: list[Entry]) -> dict[str, str]:
    if not chunk:
        return {}
    return {"X-TAXII-Date-Added-First": format_timestamp(min(e.added for e in chunk)),
            "X-TAXII-Date-Added-Last": format_timestamp(max(e.added for e in chunk))}
