"""The product's one JSON canonicaliser (RFC 8785, JSON Canonicalization Scheme) and the digests built on it.

Evidence digests, credential signatures (``eddsa-jcs-2022``), the audit-log chain, manifest leaves and
deterministic identifiers (STIX ids later) all go through :func:`canonical_json`, so one value always yields
one byte string. Backed by the ``rfc8785`` package, which raises on numbers JCS cannot represent exactly
(integers beyond ±2**53, NaN, infinities) instead of silently rounding them.

>>> canonical_json({"b": 1, "a": [True, None, "é"]})
b'{"a":[true,null,"\\xc3\\xa9"],"b":1}'
>>> uuid5_canonical(STIX_NAMESPACE, {"name": "x"}) == uuid5_canonical(STIX_NAMESPACE, {"name": "x"})
True
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import rfc8785

from graph.errors import InvalidInput

# The namespace STIX 2.1 (section 2.9) prescribes for deterministic UUIDv5 identifiers of SCOs.
STIX_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")
# tracegraph's own namespace for deterministic ids (uuid5 of the DNS namespace over "tracegraph").
TRACEGRAPH_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "tracegraph")


_SAFE = 2**53 - 1  # JCS integers: exactly representable as doubles (rfc8785 refuses the others)


def _plain(value: Any) -> bool:
    """Whether the standard library's JSON writes ``value`` byte for byte as RFC 8785 does: null, booleans, strings,
    integers within ±(2**53 - 1), lists and objects whose keys are ASCII (code-point order is then UTF-16 order);
    no floats (ECMAScript's number form) and no subclasses (rfc8785 converts them first)."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return -_SAFE <= value <= _SAFE
    if kind is list or kind is tuple:
        return all(_plain(v) for v in value)
    if kind is dict:
        return all(type(k) is str and k.isascii() and _plain(v) for k, v in value.items())
    return False


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical UTF-8 bytes of a JSON value (dict keys sorted by UTF-16 code units, no whitespace).
    A :func:`_plain` value is written by ``json.dumps`` (C; the same escapes as rfc8785's, which copied them): the
    STIX ids of a whole-world bundle spent ~12 % of its build in rfc8785's pure-Python writer."""
    if _plain(value):
        try:
            return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: rfc8785 refuses it, below
            pass
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as exc:
        raise InvalidInput(f"value cannot be canonicalised as JSON (RFC 8785): {exc}") from exc


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def canonical_sha256(value: Any) -> str:
    """Hex SHA-256 of the canonical JSON of a value: the digest used for credentials and log entries."""
    return sha256_hex(canonical_json(value))


def uuid5_canonical(namespace: uuid.UUID, value: Any) -> uuid.UUID:
    """A deterministic UUIDv5 whose name is the canonical JSON of ``value`` (the STIX 2.1 recipe)."""
    return uuid.uuid5(namespace, canonical_json(value).decode("utf-8"))
