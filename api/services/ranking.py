"""The one ordering of every ranked list (straw queue, dealer anomalies, networks) and paging through it.

Order: ``score`` descending, then the entity's key ascending (code-point order); rows without a score are not
listed. ``rank`` is the 1-based position in the unfiltered list. A page is a slice of that one ordered list:
filters keep the order, and a cursor (opaque to clients: base64url of ``{"s": score, "k": key}`` of the last item
served) starts strictly after its position, so every item is served exactly once even when pages are requested at
different times. The CLI's ``--top N`` is the first page of ``limit=N``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graph.errors import InvalidInput


@dataclass(frozen=True)
class Ranked:
    """Keys in list order with their scores and the columns list filters compare against."""

    keys: np.ndarray                  # object array of str
    scores: np.ndarray                # float64
    filters: dict[str, np.ndarray]    # object arrays, aligned with keys


@dataclass(frozen=True)
class Page:
    positions: np.ndarray   # positions in the ranked list (rank = position + 1)
    keys: list[str]
    total: int              # items matching the filters (all pages)
    next_cursor: str | None


def rank(keys: Sequence[object], scores: Sequence[object], filters: dict[str, Sequence[object]] | None = None
         ) -> Ranked:
    """Order keys by score descending, key ascending; unscored (None/NaN) keys are dropped.

    >>> ranked = rank(["b", "a", "c", "d"], [0.5, 0.5, 0.9, None], {"state": ["GA", "NY", "GA", "NY"]})
    >>> ranked.keys.tolist(), ranked.filters["state"].tolist()
    (['c', 'a', 'b'], ['GA', 'NY', 'GA'])
    """
    score_values = np.array([np.nan if s is None else float(s) for s in scores], dtype=np.float64)  # type: ignore[arg-type]
    key_values = np.asarray([str(k) for k in keys], dtype=object)
    keep = np.flatnonzero(~np.isnan(score_values))
    by_key = keep[np.argsort(key_values[keep].astype(str), kind="stable")] if len(keep) else keep
    order = by_key[np.argsort(-score_values[by_key], kind="stable")]
    return Ranked(keys=key_values[order], scores=score_values[order],
                  filters={name: np.asarray(list(column), dtype=object)[order]
                           for name, column in (filters or {}).items()})


def encode_cursor(score: float, key: str) -> str:
    raw = json.dumps({"s": score, "k": key}, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("cursor is not one this API issued") from None
    if (not isinstance(value, dict) or not isinstance(value.get("s"), int | float)
            or isinstance(value.get("s"), bool) or not isinstance(value.get("k"), str)):
        raise InvalidInput("cursor is not one this API issued")
    return float(value["s"]), value["k"]


def page(ranked: Ranked, *, filters: dict[str, str | bool | None] | None = None, min_score: float | None = None,
         cursor: str | None = None, limit: int | None = None) -> Page:
    """One page of ``ranked`` under ``filters`` (column == value; None: not filtered) and ``min_score``.

    >>> ranked = rank(["a", "b", "c"], [3.0, 2.0, 1.0], {"state": ["GA", "NY", "GA"]})
    >>> first = page(ranked, filters={"state": "GA"}, limit=1)
    >>> first.keys, first.total, page(ranked, filters={"state": "GA"}, cursor=first.next_cursor, limit=1).keys
    (['a'], 2, ['c'])
    """
    mask = np.ones(len(ranked.keys), dtype=bool)
    for name, wanted in (filters or {}).items():
        if wanted is not None:
            mask &= ranked.filters[name] == wanted
    if min_score is not None:
        mask &= ranked.scores >= min_score
    total = int(mask.sum())
    if cursor:
        score, key = decode_cursor(cursor)
        mask &= (ranked.scores < score) | ((ranked.scores == score) & (ranked.keys > key))
    positions = np.flatnonzero(mask)
    if limit is not None:
        positions = positions[: limit + 1]
        more = len(positions) > limit
        positions = positions[:limit]
    else:
        more = False
    keys = [str(k) for k in ranked.keys[positions]]
    following = encode_cursor(float(ranked.scores[positions[-1]]), keys[-1]) if more else None
    return Page(positions=positions, keys=keys, total=total, next_cursor=following)


@dataclass(frozen=True)
class Listed:
    """One entry of a ranked list: its rank in the unfiltered list, key, score, the fired indicators (parsed)
    and the entity's properties (schema names; network membership from MEMBER_OF)."""

    rank: int
    key: str
    score: float
    indicators: list[dict[str, Any]] | None
    properties: dict[str, Any]


@dataclass(frozen=True)
class ListPage:
    items: list[Listed]
    total: int
    next_cursor: str | None


def parse_indicators(text: Any) -> list[dict[str, Any]] | None:
    """A stored JSON list of fired indicators as a list of dicts (None when absent or unreadable).

    >>> parse_indicators('[{"name": "short_ttc", "value": 40}]'), parse_indicators('{"a": 1}'), parse_indicators("")
    ([{'name': 'short_ttc', 'value': 40}], [{'name': 'a', 'value': 1}], None)
    """
    if isinstance(text, list):
        return text
    if not isinstance(text, str) or not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if isinstance(value, list):
        return [item if isinstance(item, dict) else {"value": item} for item in value]
    if isinstance(value, dict):
        return [{"name": k, "value": v} for k, v in value.items()]
    return None
