"""The exporter's stix2 objects built by stix2's own property checks, without ``_STIXBase.__init__``'s generic
lookups.

stix2 3.0's ``__init__`` sorts every keyword into spec-defined, top-level-extension and custom properties and
reads them through ``collections.ChainMap``s (~23 % of a whole-world bundle's build), then calls each optional
property's ``default()`` (a ``uuid4``, a ``now``) even for properties the object does not have (~8 %). The objects
the exporter generates have no custom property and no top-level-property extension, so there every ChainMap is
one dict and those defaults are never compared. :func:`build` runs the same steps on plain dicts: each property of
the class in the class's order, ``_check_property`` (stix2's own cleaning and defaults) on each, the required
properties, the defaulted optional ones, ``_check_object_constraints``. The object is an instance of ``cls`` and
its JSON is stix2's. A class whose own ``__init__`` wraps stix2's is taken only where the wrapper is one mirrored
here (:data:`WRAPPERS`: ``relationship`` and ``sighting`` take their refs positionally too, ``indicator`` sets
``pattern_version``); keywords outside that case (a custom property, ``custom_properties``, a top-level extension),
any other class (a custom object's wrapper adds its extension: ``firearm``) and any stix2 whose ``__init__`` is not
the one mirrored (:data:`MIRRORED`) go to ``cls(...)`` as before.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import inspect
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import stix2
from stix2.base import _STIXBase
from stix2.exceptions import MissingPropertiesError, STIXError
from stix2.utils import format_datetime, get_timestamp

#: the SHA-256 of the source of stix2 3.0.2's ``_STIXBase.__init__``, which :func:`build` mirrors step by step
MIRRORED = "66d74f2ba5cb409bc3152b00bad9f6db91012d5d107c3bb593038efad0ec0768"




def _source_digest(function: Any) -> str | None:
    try:
        return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()
    except (OSError, TypeError):
        return None


#: whether :func:`build` takes its own path (stix2's ``__init__`` is the one mirrored)
ACTIVE = _source_digest(_STIXBase.__init__) == MIRRORED


def _refs_by_keyword(*names: str) -> Callable[[dict[str, Any]], None]:
    """stix2 3.0.2's ``Relationship``/``Sighting.__init__`` given keywords: a ref named by a false value is
    dropped (its positional parameter takes it, and only a true one is put back), the rest passed on."""
    def prepare(kwargs: dict[str, Any]) -> None:
        for name in names:
            if name in kwargs and not kwargs[name]:
                del kwargs[name]
    return prepare


def _indicator(kwargs: dict[str, Any]) -> None:
    """stix2 3.0.2's ``Indicator.__init__``: a ``stix`` pattern without a version is version 2.1."""
    if kwargs.get("pattern") and kwargs.get("pattern_type") == "stix" and not kwargs.get("pattern_version"):
        kwargs["pattern_version"] = "2.1"


#: the SHA-256 of a stix2 class's own ``__init__`` source -> what it does to its keywords before stix2's
WRAPPERS: dict[str, Callable[[dict[str, Any]], None]] = {
    "d9a5f5947dc1af3a9a63cbbdecdd30bd6a45388dea0e2faa97d85d416fec227a":
        _refs_by_keyword("source_ref", "relationship_type", "target_ref"),  # Relationship
    "6e4fbc86deec787fec862bbc7659dc16e91dbc7dffba9a3fa8959c990fc2e59d": _refs_by_keyword("sighting_of_ref"),
    "49884d3c68c587303cf9e2c7b057895784998c7b0260343075f723fb197752ae": _indicator,
}
_HOW: dict[type, Callable[[dict[str, Any]], None] | None] = {}


def _nothing(kwargs: dict[str, Any]) -> None:
    return None


def _how(cls: type) -> Callable[[dict[str, Any]], None] | None:
    """What ``cls``'s own ``__init__`` does before stix2's (``None``: not mirrored here, let it run)."""
    if cls not in _HOW:
        own = cls.__init__  # type: ignore[misc]
        defining = [k for k in cls.__mro__ if "__init__" in vars(k)]  # at most one wrapper, then stix2's
        mirrored = defining[-2:] == [_STIXBase, object] and len(defining) <= 3
        _HOW[cls] = None if not mirrored else _nothing if own is _STIXBase.__init__ \
            else WRAPPERS.get(_source_digest(own) or "")
    return _HOW[cls]

# as stix2's __init__ sets them (the properties whose clean() takes the interoperability flag)
_INTEROPERABILITY_TYPES = (
    stix2.properties.EmbeddedObjectProperty, stix2.properties.EnumProperty,
    stix2.properties.ExtensionsProperty, stix2.properties.DictionaryProperty,
    stix2.properties.HashesProperty, stix2.properties.IDProperty,
    stix2.properties.ListProperty, stix2.properties.OpenVocabProperty,
    stix2.properties.ReferenceProperty, stix2.properties.SelectorProperty,
)
_REQUIRED: dict[type, frozenset[str]] = {}


def _plain(cls: type, kwargs: dict[str, Any]) -> bool:
    """Whether stix2's ``__init__`` would take every keyword as a spec-defined property of ``cls`` (no custom
    property, no top-level-property extension): the case :func:`build` mirrors."""
    if not kwargs.keys() <= cls._properties.keys():  # type: ignore[attr-defined]  # custom_properties included
        return False
    extensions = kwargs.get("extensions")
    return not extensions or all(not hasattr(ext, "get") or ext.get("extension_type") != "toplevel-property-extension"
                                 for ext in extensions.values())


#: a property's cleaned value, per property object and keyword value: (the value, what ``clean`` returned, custom)
Memo = dict[tuple[int, Any], tuple[Any, Any, bool]]
_LIST = stix2.properties.ListProperty
_REFERENCE = stix2.properties.ReferenceProperty
_TIMESTAMP = stix2.properties.TimestampProperty


def _memo_key(prop: Any, value: Any) -> tuple[int, Any] | None:
    """The key of ``prop.clean(value)`` in a :data:`Memo`, or ``None`` where it is not kept.

    Kept only where ``clean`` is a pure function of the value and the value cannot change: a reference given as
    text, a list of references given as texts (the key is their tuple; each object gets its own copy of the
    list), a timestamp given as the very datetime object seen before (the builder parses each text once and
    passes that object again: the key is the object's identity, and the memo keeps the object alive so no other
    takes that identity; a ``STIXdatetime``'s precision is never confused with an equal datetime's)."""
    kind = type(prop)
    if kind is _REFERENCE:
        return (id(prop), value) if type(value) is str else None
    if kind is _LIST and type(prop.contained) is _REFERENCE and type(value) is list \
            and all(type(v) is str for v in value):
        return id(prop), tuple(value)
    if kind is _TIMESTAMP and isinstance(value, dt.datetime):
        return id(prop), id(value)
    return None


def build(cls: Any, **kwargs: Any) -> Any:
    """``cls(allow_custom=False, **kwargs)``: the same object, every property checked by stix2, built faster."""
    return build_with(None, cls, kwargs)


def build_with(memo: Memo | None, cls: Any, kwargs: dict[str, Any]) -> Any:
    """:func:`build`, taking from ``memo`` (when given) what stix2's ``clean`` returned for the same property and
    value in an earlier object of the same bundle: a whole-world bundle checks the same few marking refs on every
    object, each dealer's and person's id in every relationship that names it, and a few shared timestamps, and
    stix2 parses every reference's UUID again each time."""
    prepare = _how(cls) if ACTIVE else None
    if prepare is None or not _plain(cls, kwargs):
        return cls(allow_custom=False, **kwargs)
    prepare(kwargs)
    obj = cls.__new__(cls)
    obj._STIXBase__now = get_timestamp()  # what a NOW default takes, as in stix2's __init__
    obj._STIXBase__INTEROPERABILITY_types = _INTEROPERABILITY_TYPES
    properties = cls._properties
    setting: dict[str, Any] = {}
    has_custom = False
    for name, prop in properties.items():
        value = kwargs.get(name)
        if value not in (None, []):
            setting[name] = value
        if not prop:
            continue
        key = _memo_key(prop, setting[name]) if memo is not None and name in setting else None
        if key is not None and memo is not None:
            kept = memo.get(key)
            if kept is not None:
                cleaned, custom = kept[1], kept[2]
                setting[name] = list(cleaned) if type(cleaned) is list else cleaned
                has_custom = custom or has_custom
                continue
            given = setting[name]
            custom = obj._check_property(name, prop, setting, False, False)
            cleaned = setting[name]
            memo[key] = (given, list(cleaned) if type(cleaned) is list else cleaned, custom)
        else:
            custom = obj._check_property(name, prop, setting, False, False)
        has_custom = custom or has_custom
    required = _REQUIRED.get(cls)
    if required is None:
        required = _REQUIRED[cls] = frozenset(k for k, v in properties.items() if v.required)
    missing = required - setting.keys()
    if missing:
        raise MissingPropertiesError(cls, missing)
    defaulted = []
    for name, prop in properties.items():
        if name not in setting:  # stix2 called default() here too and then missed the key: never defaulted
            continue
        try:
            if not prop.required and not hasattr(prop, "_fixed_value") and prop.default() == setting[name]:
                defaulted.append(name)
        except (AttributeError, KeyError):
            continue
    obj._defaulted_optional_properties = defaulted
    obj._inner = setting
    obj._check_object_constraints()
    if has_custom:
        raise STIXError("Internal error: a clean() method did not properly enforce allow_custom=False!")
    obj._STIXBase__has_custom = False
    return obj


class _NotPlain(Exception):
    """A value :func:`plain` leaves to stix2's JSON encoder."""


def plain(obj: _STIXBase) -> dict[str, Any]:
    """``json.loads(obj.serialize())`` without the text in between: the same keys in the same order, the same values.

    stix2's encoder writes an object as ``dict(obj)`` less its defaulted optional properties and a timestamp as
    ``format_datetime`` writes it; the rest is plain JSON, read back as the same ``str``, ``int``, ``float``, ``bool``,
    ``None``, list and dict. Written out and read again, a whole-world bundle's 96k objects cost about as much as
    building them again (simplejson calls the encoder's Python ``default`` per object and per timestamp). Any other
    value (a tuple, a non-finite float, a key that is not text, a type of its own) goes through stix2's encoder and
    ``json.loads`` as before."""
    stamps: dict[int, str] = {}  # each timestamp object written once (a bundle shares a few among many objects)

    def value(item: Any) -> Any:
        kind = type(item)
        if kind is str or kind is int or kind is bool or item is None:
            return item
        if kind is float:
            if item - item != 0.0:  # inf or nan: stix2's encoder writes them as JavaScript does
                raise _NotPlain
            return item
        if kind is list:
            return [value(x) for x in item]
        if kind is dict:
            if not all(type(k) is str for k in item):
                raise _NotPlain
            return {k: value(x) for k, x in item.items()}
        if isinstance(item, _STIXBase):
            inner, defaulted = item._inner, item._defaulted_optional_properties
            return {k: value(x) for k, x in inner.items() if k not in defaulted}
        if isinstance(item, dt.datetime):
            text = stamps.get(id(item))
            if text is None:
                text = stamps[id(item)] = format_datetime(item)
            return text
        raise _NotPlain

    try:
        converted: dict[str, Any] = value(obj)
    except _NotPlain:
        converted = json.loads(obj.serialize())
    return converted


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused while a bundle is built or converted (and resumed after, if it ran before).

    A whole-world bundle allocates a few million containers that live until the bundle goes; the collector's
    generation passes walk them again and again as they pile up: ~2.2 of a RED bundle's ~12 CPU s build and ~1 of its
    ~1.6 s :func:`plain`. The build makes no reference cycles to wait for; whatever garbage it leaves is collected
    after. Process-wide, so a concurrent build in another thread only finds it paused already and leaves it so."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
