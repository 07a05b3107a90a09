"""A labelled set of damaged serials, generated reproducibly, and the ranking metrics to score matching on it.

Damage kinds (what examiners meet on recovered guns, one or two per serial):

* ``wildcard`` — 1-2 characters unreadable, marked ``?``;
* ``drop`` — one character missed without a mark;
* ``confusable`` — one character misread as a look-alike (:data:`algorithms.serials.CONFUSABLE_COSTS`);
* ``truncate`` — 1-2 leading or trailing characters unread, no mark;
* ``star`` — a ground-off end marked ``*``;
* ``double`` — two of the above.

>>> labelled = damaged_set(["ABC123", "FBK1234"], n=4, seed=1)
>>> [len(x.pattern) > 0 for x in labelled]
[True, True, True, True]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from algorithms.serials import CONFUSABLE_COSTS

KINDS = ("wildcard", "drop", "confusable", "truncate", "star", "double")
_PARTNERS: dict[str, list[str]] = {}
for _pair in CONFUSABLE_COSTS:
    _a, _b = sorted(_pair)
    _PARTNERS.setdefault(_a, []).append(_b)
    _PARTNERS.setdefault(_b, []).append(_a)


@dataclass(frozen=True)
class Damaged:
    serial: str    # the true (normalised) serial
    pattern: str   # what the examiner wrote
    kind: str


def damage(serial: str, kind: str, rng: np.random.Generator) -> str:
    """One damage of ``kind`` applied to ``serial`` (at least 2 readable characters always remain)."""
    chars = list(serial)
    n = len(chars)
    if kind == "wildcard":
        for pos in rng.choice(n, size=min(n - 2, int(rng.integers(1, 3))), replace=False):
            chars[int(pos)] = "?"
    elif kind == "drop" and n > 3:
        del chars[int(rng.integers(0, n))]
    elif kind == "confusable":
        options = [i for i, ch in enumerate(chars) if ch in _PARTNERS]
        if options:
            pos = int(rng.choice(options))
            chars[pos] = str(rng.choice(_PARTNERS[chars[pos]]))
    elif kind == "truncate" and n > 4:
        cut = int(rng.integers(1, 3))
        chars = chars[cut:] if rng.random() < 0.5 else chars[:-cut]
    elif kind == "star" and n > 4:
        cut = int(rng.integers(1, 4))
        chars = ["*", *chars[cut:]] if rng.random() < 0.5 else [*chars[:-cut], "*"]
    elif kind == "double":
        first, second = rng.choice(KINDS[:-1], size=2, replace=False)
        text = damage(damage(serial, str(first), rng), str(second), rng)
        return text
    return "".join(chars)


def damaged_set(serials: Sequence[str], *, n: int, seed: int = 0,
                kinds: Sequence[str] = KINDS) -> list[Damaged]:
    """``n`` damaged serials drawn from ``serials`` (kinds in turn), reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(serials), size=n, replace=len(serials) < n)
    out = []
    for i, index in enumerate(picked):
        kind = kinds[i % len(kinds)]
        serial = str(serials[int(index)])
        out.append(Damaged(serial, damage(serial, kind, rng), kind))
    return out


def ranking_metrics(labelled: Sequence[Damaged], search: Callable[[str], list[str]]) -> dict[str, float]:
    """precision@1, recall@5 and mean reciprocal rank of the true serial in ``search(pattern)`` (serials, best
    first). precision@1 counts a hit only when the true serial is ranked first, ties included."""
    if not labelled:
        return {"n": 0.0, "precision_at_1": float("nan"), "recall_at_5": float("nan"), "mrr": float("nan")}
    top1 = top5 = 0
    reciprocal = 0.0
    for item in labelled:
        ranked = search(item.pattern)
        if item.serial in ranked:
            rank = ranked.index(item.serial) + 1
            top1 += rank == 1
            top5 += rank <= 5
            reciprocal += 1.0 / rank
    n = len(labelled)
    return {"n": float(n), "precision_at_1": round(top1 / n, 4), "recall_at_5": round(top5 / n, 4),
            "mrr": round(reciprocal / n, 4)}
