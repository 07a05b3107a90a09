"""TAXII collections built once per TLP level and shared by every API key (issue 23: TAXII cold start).

A collection's content depends on the caller in one way only: a masked person (AMBER and AMBER+STRICT; RED is
served to roles that see persons in full) carries a pseudonym salted per key, so partners can correlate persons
within their own agreement only. The expensive part (the STIX build and its serialisation) is therefore done once
per (snapshot, level, masked) with a *template* salt that is random per process and never leaves the server, and a
caller's view replaces the template pseudonyms, and the ids derived from them (the person's ``identity`` and its
straw-score ``note``), with the caller's own as each page is served. What a key receives is what
:func:`exports.stix.to_stix_dated` gives for that key's salt; only the order of objects with the same
``date_added`` follows the template ids (an order no key can derive anything from: it is fixed by a secret salt).

Memory: one collection per level and snapshot, whatever the number of keys; per key only a bounded cache of the
reverse id map (built when a key asks for a person object by id). With ``api_taxii_warm`` (default on) the server
builds the collections its partner keys can read in a background thread at start-up, so even the first key's
first page is a page; other levels (an investigator's RED) are built on their first request.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from exports.stix import bundle_dict, stix_id, to_stix_dated
from exports.stix_scope import ScopeRecords, collect_scope
from exports.taxii_filters import Entry, Filters, entry, select
from exports.tlp import LABEL_TLP, LEVELS, Clearance, Level, allows, clearance, pseudonym
from graph.errors import StoreUnavailable

log = logging.getLogger("tracegraph.taxii")

_PSEUDONYM = re.compile(r"person-[0-9a-f]{16}")
_PERSON_ID = re.compile(r"(?:identity|note)--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_REVERSE_KEYS = 8  # per collection: the reverse id maps of the last 8 salts that asked for a person by id
_NOWHERE = "\x00no-such-object"
_SELECTIONS = 16  # per collection: the last 16 distinct filter sets (a list of references each)

builds = 0  # collections built in this process (tests assert one per level, whatever the number of keys)


def masked(clearance: Clearance, lvl: Level) -> bool:
    """Whether persons in the ``lvl`` collection are pseudonymous for this caller (as :mod:`exports.stix`)."""
    return not (clearance.personal_data and allows(lvl, LABEL_TLP["Person"]))


def _person_ids(pseudo: str) -> tuple[str, str]:
    return stix_id("identity", {"person": pseudo}), stix_id("note", {"straw": pseudo})


@dataclass
class LevelCollection:
    """The object versions of one level in collection order, persons pseudonymised with the template salt."""

    entries: list[Entry]
    persons: dict[str, str]           # template pseudonym -> person key
    person_ids: dict[str, str]        # template identity / note id -> template pseudonym
    salted: frozenset[int]            # id() of the entries that mention a template pseudonym or id
    _reverse: OrderedDict[str, dict[str, str]] = field(default_factory=OrderedDict)
    _reverse_lock: threading.Lock = field(default_factory=threading.Lock)
    _selected: OrderedDict[tuple[Any, ...], list[Entry]] = field(default_factory=OrderedDict)

    def select(self, filters: Filters) -> list[Entry]:
        """The entries ``filters`` (in template ids) match, shared by every key: the last few selections are
        kept, so a new key's first page (no filter: the usual poll) slices a list instead of walking the
        collection again."""
        wanted = (filters.added_after, filters.types, filters.ids, filters.versions, filters.spec_versions)
        with self._reverse_lock:
            hit = self._selected.get(wanted)
            if hit is not None:
                self._selected.move_to_end(wanted)
                return hit
        chosen = select(self.entries, filters)
        with self._reverse_lock:
            self._selected[wanted] = chosen
            while len(self._selected) > _SELECTIONS:
                self._selected.popitem(last=False)
        return chosen

    def view(self, salt: str) -> KeyView:
        return KeyView(self, salt)

    def reverse(self, salt: str) -> dict[str, str]:
        """A key's person object ids -> template ids (cached for the last few salts)."""
        with self._reverse_lock:
            hit = self._reverse.get(salt)
            if hit is not None:
                self._reverse.move_to_end(salt)
                return hit
        mapping: dict[str, str] = {}
        ids_of: dict[str, tuple[str, str]] = {}
        for template_id, template_pseudo in self.person_ids.items():
            if template_pseudo not in ids_of:
                ids_of[template_pseudo] = _person_ids(pseudonym(self.persons[template_pseudo], salt))
            identity, note = ids_of[template_pseudo]
            mapping[identity if template_id.startswith("identity--") else note] = template_id
        with self._reverse_lock:
            self._reverse[salt] = mapping
            while len(self._reverse) > _REVERSE_KEYS:
                self._reverse.popitem(last=False)
        return mapping


class KeyView:
    """One key's view of a level collection: filters take the key's ids, pages come out in the key's ids."""

    def __init__(self, collection: LevelCollection, salt: str) -> None:
        self.collection, self.salt = collection, salt
        self._pseudonyms: dict[str, str] = {}

    @property
    def entries(self) -> list[Entry]:
        return self.collection.entries

    def _pseudonym(self, template: str) -> str:
        known = self._pseudonyms.get(template)
        if known is None:
            known = self._pseudonyms[template] = pseudonym(self.collection.persons[template], self.salt)
        return known

    def _id(self, template_id: str) -> str:
        template_pseudo = self.collection.person_ids.get(template_id)
        if template_pseudo is None:
            return template_id
        identity, note = _person_ids(self._pseudonym(template_pseudo))
        return identity if template_id.startswith("identity--") else note

    def template_id(self, key_id: str) -> str:
        """The template id of an id as this key knows it (an id no key can know matches nothing)."""
        if not self.collection.person_ids:
            return key_id
        if key_id in self.collection.person_ids:
            return _NOWHERE  # a template id: never issued to anyone
        if _PERSON_ID.fullmatch(key_id):
            return self.collection.reverse(self.salt).get(key_id, key_id)
        return key_id

    def filters(self, filters: Filters) -> Filters:
        if filters.ids is None or not self.collection.person_ids:
            return filters
        return Filters(filters.added_after, filters.types, frozenset(self.template_id(i) for i in filters.ids),
                       filters.versions, filters.spec_versions, filters.limit, filters.start)

    def select(self, filters: Filters) -> list[Entry]:
        """What the caller's filters match, in collection order."""
        return self.collection.select(self.filters(filters))

    def id(self, e: Entry) -> str:
        return self._id(e.id) if id(e) in self.collection.salted else e.id

    def obj(self, e: Entry) -> dict[str, Any]:
        """The entry's object as this key receives it."""
        if id(e) not in self.collection.salted:
            return e.obj
        persons, person_ids = self.collection.persons, self.collection.person_ids

        def swap(found: re.Match[str]) -> str:
            text = found.group(0)
            if text in persons:
                return self._pseudonym(text)
            return self._id(text) if text in person_ids else text

        obj: dict[str, Any] = json.loads(_PERSON_ID.sub(swap, _PSEUDONYM.sub(swap, json.dumps(e.obj))))
        if obj.get("type") == "report" and isinstance(obj.get("object_refs"), list):
            obj["object_refs"] = sorted(obj["object_refs"])  # as the export sorts them
        return obj


def build(records: ScopeRecords, lvl: Level, clearance: Clearance) -> LevelCollection:
    """One level's collection for every caller whose persons are masked as ``clearance``'s are."""
    global builds
    template_salt = _TEMPLATE_SALT
    bundle, added = to_stix_dated(records, tlp=lvl, clearance=clearance, salt=template_salt)
    entries = sorted((entry(o, added[o["id"]]) for o in bundle_dict(bundle)["objects"]),
                     key=lambda e: (e.added, e.id))
    persons: dict[str, str] = {}
    person_ids: dict[str, str] = {}
    if masked(clearance, lvl):
        for person in records.persons:
            template_pseudo = pseudonym(str(person["person_key"]), template_salt)
            persons[template_pseudo] = str(person["person_key"])
        present = {e.id for e in entries}
        for template_pseudo in persons:
            for template_id in _person_ids(template_pseudo):
                if template_id in present:
                    person_ids[template_id] = template_pseudo
    salted: set[int] = set()
    if persons:
        for e in entries:
            text = json.dumps(e.obj)
            if any(p in persons for p in _PSEUDONYM.findall(text)) or \
                    any(i in person_ids for i in _PERSON_ID.findall(text)):
                salted.add(id(e))
    builds += 1
    return LevelCollection(entries, persons, person_ids, frozenset(salted))


_TEMPLATE_SALT = secrets.token_hex(16)


class Collections:
    """The level collections of one API snapshot: each built once (concurrent first requests wait for one
    build), dropped together when the snapshot is rebuilt."""

    def __init__(self, version: int) -> None:
        self.version = version
        self._built: dict[tuple[Level, bool], LevelCollection] = {}
        self._locks: dict[tuple[Level, bool], threading.Lock] = {}
        self._guard = threading.Lock()
        self.builds = 0  # collections this snapshot built (tests: one per level, whatever the number of keys)

    def get(self, lvl: Level, clearance: Clearance, records: Callable[[], ScopeRecords]) -> LevelCollection:
        key = (lvl, masked(clearance, lvl))
        hit = self._built.get(key)
        if hit is not None:
            return hit
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            hit = self._built.get(key)
            if hit is None:
                hit = self._built[key] = build(records(), lvl, clearance)
                self.builds += 1
            return hit

    def levels(self) -> Iterable[tuple[Level, bool]]:
        return list(self._built)


def for_context(ctx: Any) -> Collections:
    """The collections of ``ctx``'s current snapshot (a new, empty set once the snapshot is rebuilt)."""
    version = id(ctx.snapshot)
    with _CONTEXT_LOCK:
        current: Collections | None = ctx.__dict__.get("taxii_collections")
        if current is None or current.version != version:
            current = ctx.__dict__["taxii_collections"] = Collections(version)
        return current


def scope_records(ctx: Any) -> ScopeRecords:
    with ctx.lock:
        if ctx.__dict__.get("taxii_stopped"):
            raise StoreUnavailable("the API is shutting down")
        return collect_scope(ctx.store, "all")


def partner_levels(records: Iterable[Any]) -> list[tuple[Level, Clearance]]:
    """The (level, clearance) of every collection an active partner key can read, once per masked variant."""
    wanted: dict[tuple[Level, bool], tuple[Level, Clearance]] = {}
    for record in records:
        if record.revoked is not None or record.role != "partner":
            continue
        cleared = clearance(record.role, record.tlp)
        for lvl in LEVELS:
            if cleared.may_see(lvl):
                wanted.setdefault((lvl, masked(cleared, lvl)), (lvl, cleared))
    return list(wanted.values())


def warm(ctx: Any, wanted: list[tuple[Level, Clearance]]) -> threading.Thread | None:
    """Build ``wanted`` collections in a background thread (the store is read once for all of them), so even the
    first partner's first page is a page. A request for a level being built waits for that build. Call
    :func:`stop` before the store closes."""
    if not wanted:
        return None
    collections = for_context(ctx)
    records: list[ScopeRecords] = []

    def once() -> ScopeRecords:
        if not records:
            records.append(scope_records(ctx))
        return records[0]

    def work() -> None:
        for lvl, cleared in wanted:
            if ctx.__dict__.get("taxii_stopped") or for_context(ctx) is not collections:
                return  # shutting down, or the snapshot was rebuilt
            try:
                collections.get(lvl, cleared, once)
            except Exception as exc:  # a warm-up failure leaves the build to the first request
                log.warning("TAXII warm-up of TLP:%s stopped: %s", lvl.upper(), type(exc).__name__)
                return
        records.clear()

    thread = threading.Thread(target=work, name="taxii-warm", daemon=True)
    ctx.__dict__["taxii_warm"] = thread
    thread.start()
    return thread


def stop(ctx: Any) -> None:
    """No background build touches the store after this returns (the rest of a build works on memory)."""
    with ctx.lock:
        ctx.__dict__["taxii_stopped"] = True


_CONTEXT_LOCK = threading.Lock()
