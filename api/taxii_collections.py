"""The TAXII collections' objects, built once per (TLP level, clearance) and shared by every key.

A collection's objects are what ``to_stix`` produces for the level and the caller's clearance; they differ
between keys only where a person is masked: the pseudonym (``exports.tlp.pseudonym``, salted per key so partners
cannot correlate across agreements), the person identity's ``name`` and its id (a UUIDv5 of the pseudonym), and
the relationships' references to that id. So the objects are built once with a placeholder salt, and each caller
gets a :class:`CallerView` that puts its own pseudonyms in the objects it reads — only those that mention a masked
person, only when read. Building is the slow part (tens of seconds for a state-sized store); a new key of an
already-built clearance reads its first page in milliseconds, and memory no longer grows with the number of keys
(at most one build per level and clearance kind: 4 levels x the roles that may read them).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

from exports.stix import bundle_dict, stix_id, to_stix
from exports.stix_scope import collect_scope
from exports.tlp import Clearance, Level, pseudonym

SHARED_SALT = "\x00taxii-shared-placeholder"  # never served: every pseudonym made with it is replaced per caller
_TOKENS = re.compile(r"person-[0-9a-f]{16}|identity--[0-9a-f-]{36}")


def _identity_id(pseudonym_: str) -> str:
    return stix_id("identity", {"person": pseudonym_})


@dataclass(frozen=True)
class SharedCollection:
    """``objects`` (placeholder pseudonyms), sorted by date added then id; ``person_of`` maps each placeholder
    pseudonym and placeholder identity id to its person key; ``touches[i]``: object ``i`` mentions one."""

    objects: list[dict[str, Any]]
    person_of: dict[str, str]
    touches: list[bool]


def build(records: Any, level: Level, clearance: Clearance, added: Any) -> SharedCollection:
    bundle = to_stix(records, tlp=level, clearance=clearance, salt=SHARED_SALT)
    objects = sorted(bundle_dict(bundle)["objects"], key=lambda o: (added(o), o["id"]))
    person_of: dict[str, str] = {}
    for person in records.persons:
        key = str(person["person_key"])
        placeholder = pseudonym(key, SHARED_SALT)
        person_of[placeholder] = key
        person_of[_identity_id(placeholder)] = key
    touches = [any(token in person_of for token in _TOKENS.findall(json.dumps(obj))) for obj in objects]
    return SharedCollection(objects, person_of, touches)


class CallerView(Sequence[dict[str, Any]]):
    """One caller's view of a shared collection: the same objects in the same order, with the caller's own
    pseudonyms (and the ids made from them) in place of the placeholders."""

    def __init__(self, shared: SharedCollection, salt: str) -> None:
        self.shared = shared
        self.salt = salt

    def _token(self, match: re.Match[str]) -> str:
        token = match.group()
        key = self.shared.person_of.get(token)
        if key is None:
            return token
        own = pseudonym(key, self.salt)
        return own if token.startswith("person-") else _identity_id(own)

    def _mapped(self, index: int) -> dict[str, Any]:
        obj = self.shared.objects[index]
        if not self.shared.touches[index]:
            return obj
        result: dict[str, Any] = json.loads(_TOKENS.sub(self._token, json.dumps(obj)))
        for name, refs in obj.items():  # a sorted list of references stays sorted under the caller's ids
            if name.endswith("_refs") and isinstance(refs, list) and refs == sorted(refs):
                result[name] = sorted(result[name])
        return result

    def __len__(self) -> int:
        return len(self.shared.objects)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self._mapped(i) for i in range(*index.indices(len(self)))]
        return self._mapped(index if index >= 0 else len(self) + index)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (self._mapped(i) for i in range(len(self)))


class CollectionCache:
    """Shared collections of one API snapshot, built on first use (one build at a time per level and clearance)."""

    def __init__(self) -> None:
        self._built: dict[tuple[int, Level, Clearance], SharedCollection] = {}
        self._locks: dict[tuple[int, Level, Clearance], threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, ctx: Any, level: Level, clearance: Clearance, added: Any) -> SharedCollection:
        version = id(ctx.snapshot)
        key = (version, level, clearance)
        with self._guard:
            if key in self._built:
                return self._built[key]
            for old in [k for k in self._built if k[0] != version]:  # a new snapshot: drop the old builds
                del self._built[old]
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # concurrent first readers wait for one build instead of each building
            with self._guard:
                if key in self._built:
                    return self._built[key]
            with ctx.lock:
                records = collect_scope(ctx.store, "all")
            shared = build(records, level, clearance, added)
            with self._guard:
                self._built[key] = shared
                self._locks.pop(key, None)
            return shared
