"""The one canonicaliser (RFC 8785 JCS): order independence, round trip, exact numbers, UTF-16 key order."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exports.canonical import STIX_NAMESPACE, canonical_json, canonical_sha256, uuid5_canonical
from graph.errors import InvalidInput

SAFE_INT = 2**53 - 1
scalars = st.none() | st.booleans() | st.integers(-SAFE_INT, SAFE_INT) | st.text() | \
    st.floats(allow_nan=False, allow_infinity=False)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=5) |
                           st.dictionaries(st.text(max_size=8), inner, max_size=5), max_leaves=25)


def _shuffled(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value


@given(json_values, st.integers(0, 2**32))
def test_key_order_never_changes_the_bytes(value: Any, seed: int) -> None:
    assert canonical_json(_shuffled(value, random.Random(seed))) == canonical_json(value)


@given(json_values)
def test_round_trip_and_idempotence(value: Any) -> None:
    text = canonical_json(value)
    # JCS numbers are IEEE-754 doubles (I-JSON): 6.5e16 is written 65000000000000000, so read numbers as doubles.
    parsed = json.loads(text, parse_int=float)
    assert parsed == value
    assert canonical_json(parsed) == text
    assert b"\n" not in text.replace(b"\\n", b"")


def test_keys_sort_by_utf16_code_units_as_rfc8785_requires() -> None:
    # U+1F600 is the surrogate pair D83D DE00 in UTF-16: it sorts before U+FB01, unlike code-point order.
    assert canonical_json({"\ufb01": 1, "\U0001f600": 2, "a": 3}).decode() == '{"a":3,"\U0001f600":2,"\ufb01":1}'


def test_numbers_follow_ecmascript_serialisation() -> None:
    assert canonical_json([1.0, 1e21, 1e-7, 0.1, -0.0]) == b"[1,1e+21,1e-7,0.1,0]"


def test_integers_beyond_double_precision_are_refused_not_rounded() -> None:
    with pytest.raises(InvalidInput):
        canonical_json({"n": 2**53 + 1})


def test_deterministic_uuid5_ignores_key_order() -> None:
    a = uuid5_canonical(STIX_NAMESPACE, {"value": "x", "type": "file"})
    assert a == uuid5_canonical(STIX_NAMESPACE, {"type": "file", "value": "x"})
    assert a.version == 5
    assert canonical_sha256({"b": 1, "a": 2}) == canonical_sha256({"a": 2, "b": 1})


ascii_keys = st.text(st.characters(max_codepoint=127), max_size=8)
plain_values = st.recursive(
    st.none() | st.booleans() | st.integers(-SAFE_INT, SAFE_INT) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(ascii_keys, inner, max_size=5), max_leaves=25)


@given(plain_values)
def test_the_standard_librarys_writer_gives_rfc8785s_bytes_where_it_is_used(value: Any) -> None:
    """Values without floats and with ASCII keys (the STIX ids' identities, the audit entries) are written by
    ``json.dumps`` instead of rfc8785's pure-Python writer: the same bytes, control characters and non-ASCII text
    included."""
    import rfc8785

    from exports.canonical import _plain

    assert _plain(value)
    assert canonical_json(value) == rfc8785.dumps(value)


@pytest.mark.parametrize("value", [{"n": 2**53}, {"n": -(2**53)}, ["\ud800"], {"\u00e9": 1, "e": 2}, [1.5, 1e21]])
def test_what_the_standard_librarys_writer_would_write_otherwise_goes_to_rfc8785(value: Any) -> None:
    """Integers beyond ±(2**53 - 1) and lone surrogates are refused, non-ASCII keys sorted by UTF-16 code units and
    floats written in ECMAScript's form, as rfc8785 alone does."""
    import rfc8785

    try:
        expected = rfc8785.dumps(value)
    except rfc8785.CanonicalizationError:
        with pytest.raises(InvalidInput):
            canonical_json(value)
        return
    assert canonical_json(value) == expected
