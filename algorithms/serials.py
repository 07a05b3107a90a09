"""Finding a firearm from a damaged serial: partial reads, unreadable characters and common misreadings.

A seized gun's serial is often partly ground off, corroded or misread (O for 0, I for 1, S for 5). An examiner
writes what can be read and marks the rest:

* ``?`` or ``_`` — exactly one unreadable character; ``*`` — any number (zero or more) of unreadable characters;
* characters missing at either end need no mark: leading/trailing characters of a candidate that the pattern does
  not cover cost :data:`TRUNCATION_COST` each (the reader stopped early or started late);
* spaces, hyphens and other punctuation are ignored, as in the loaders' serial normaliser.

Candidates are ranked by a weighted edit distance that honours wildcards and the confusable-character costs of
:data:`CONFUSABLE_COSTS` (cheaper than an ordinary substitution, so ``8O5`` finds ``805`` before ``815``), then
filtered or adjusted by manufacturer, model and caliber (fuzzy, with rapidfuzz). Each candidate carries a
human-readable reason. Matching is CPU-only and in memory, in three cuts: :class:`SerialIndex` sorts serials by
length and keeps a *skeleton* of each (every confusable class folded to one character) with a bigram inverted
index (:mod:`algorithms.serial_index`); a query counts shared bigrams over its length window and keeps the best
:data:`BIGRAM_KEEP`, scores those with rapidfuzz (``process.cdist``: LCS of the readable characters, ties by edit
distance) and runs the exact weighted alignment on the best :data:`PREFILTER`.

>>> index = SerialIndex.build(pd.DataFrame({"key": ["a", "b", "c"], "serial_normalized": ["ABC123", "ABC128", "XYZ999"],
...                                         "manufacturer_normalized": ["GLOCK"] * 3, "model": ["19"] * 3,
...                                         "caliber": ["9MM"] * 3}))
>>> [c.serial for c in match(index, "A?C12B")]
['ABC128', 'ABC123']
>>> match(index, "A?C12B")[0].reason
'1 character unreadable; 8 read as B at position 6'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import LCSseq, Levenshtein

from algorithms.serial_index import Bigrams
from graph.errors import InvalidInput
from loaders.domain.parsing import normalize_manufacturer
from loaders.domain.parsing import normalize_serial as loader_normalize_serial

#: Placeholders the loaders treat as "no serial" (kept in step with ``loaders.domain.parsing``).
NO_SERIAL = frozenset({"", "NONE", "UNKNOWN", "UNK", "NA", "NOSERIAL", "NOSN", "OBLITERATED", "OBLIT", "NULL",
                       "0", "00", "000"})

#: Cost of substituting one character for a confusable one (an ordinary substitution costs 1.0). Glyph pairs that
#: stamped or engraved serials make easy to misread; the cheapest are the ones readers confuse most (O/0, I/1).
CONFUSABLE_COSTS: dict[frozenset[str], float] = {frozenset(pair): cost for pair, cost in (
    ("O0", 0.1), ("OQ", 0.3), ("0Q", 0.3), ("OD", 0.4), ("0D", 0.4), ("DQ", 0.5),
    ("I1", 0.1), ("IL", 0.3), ("1L", 0.3), ("17", 0.3), ("I7", 0.5), ("L7", 0.5), ("IJ", 0.4), ("1J", 0.5),
    ("S5", 0.2), ("B8", 0.2), ("Z2", 0.2), ("G6", 0.3), ("UV", 0.3),
    ("B3", 0.5), ("83", 0.5), ("80", 0.6), ("CG", 0.5), ("EF", 0.5), ("PR", 0.5), ("MN", 0.5), ("A4", 0.5),
    ("T7", 0.5), ("S8", 0.6), ("B6", 0.6), ("69", 0.6), ("KX", 0.6), ("VY", 0.6), ("HN", 0.6),
)}
SUBSTITUTION_COST = 1.0
INSERTION_COST = 1.0   # a candidate character the reader missed inside the serial
DELETION_COST = 1.0    # a pattern character with no counterpart (read twice, or a scratch read as a character)
TRUNCATION_COST = 0.6  # a candidate character beyond either end of what was read
#: Confusable classes folded to one character in the index skeleton (transitive closure of the cheapest pairs).
_SKELETON = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "7": "1", "S": "5", "B": "8",
                           "Z": "2", "G": "6", "U": "V"})
_WILDCARDS = {"?": "one", "_": "one", "*": "any"}
BIGRAM_KEEP = 20_000   # candidates kept by the bigram counts for rapidfuzz
PREFILTER = 80         # candidates kept by rapidfuzz for the exact alignment
MAX_PATTERN = 40
MIN_SCORE = 0.4


def normalize_serial(value: str | None) -> str | None:
    """Upper case, letters and digits only; placeholders meaning 'no serial' -> None: the loaders' own
    normaliser, so a query and a stored serial always agree.

    >>> normalize_serial(" fbk-1234 ")
    'FBK1234'
    """
    return loader_normalize_serial(value)


def _upper(text: str) -> str:
    """Upper case exactly as the loaders do it (Arrow's per-character mapping, not Python's ``str.upper``)."""
    return str(pd.Series([str(text)], dtype="str").str.upper().iloc[0])


def skeleton(serial: str) -> str:
    """The serial with each confusable class folded to one character (``O``/``Q``/``D`` -> ``0``, ...)."""
    return serial.translate(_SKELETON)


def substitution_cost(read: str, actual: str) -> float:
    if read == actual:
        return 0.0
    return CONFUSABLE_COSTS.get(frozenset((read, actual)), SUBSTITUTION_COST)


@dataclass(frozen=True)
class Pattern:
    """A parsed partial serial: ``tokens`` are ``("lit", char)``, ``("one", "?")`` or ``("any", "*")``."""

    text: str
    tokens: tuple[tuple[str, str], ...]

    @property
    def readable(self) -> str:
        return "".join(ch for kind, ch in self.tokens if kind == "lit")

    @property
    def fixed_length(self) -> int:
        return sum(1 for kind, _ in self.tokens if kind != "any")

    @property
    def open_ended(self) -> bool:
        return any(kind == "any" for kind, _ in self.tokens)


def parse_pattern(text: str) -> Pattern:
    """Parse what was read: letters/digits, ``?``/``_`` for one unreadable character, ``*`` for any number.

    >>> parse_pattern("a?c-12*").tokens
    (('lit', 'A'), ('one', '?'), ('lit', 'C'), ('lit', '1'), ('lit', '2'), ('any', '*'))
    """
    cleaned = re.sub(r"[^A-Z0-9?_*]", "", _upper(text))
    cleaned = re.sub(r"\*+", "*", cleaned)
    if len(cleaned) > MAX_PATTERN:
        raise InvalidInput(f"serial pattern is longer than {MAX_PATTERN} characters")
    tokens = tuple((_WILDCARDS[ch], "*" if ch == "*" else "?") if ch in _WILDCARDS else ("lit", ch)
                   for ch in cleaned)
    pattern = Pattern(cleaned, tokens)
    if len(pattern.readable) < 2:
        raise InvalidInput("serial pattern needs at least 2 readable characters")
    return pattern


@dataclass(frozen=True)
class Alignment:
    cost: float
    unreadable: int           # candidate characters under ? or * wildcards
    confusions: tuple[tuple[str, str, int], ...]  # (read, actual, 1-based position in the candidate)
    substitutions: int
    missed: int               # candidate characters inside the read part that the pattern lacks
    extra: int                # pattern characters with no counterpart
    truncated: tuple[int, int]  # candidate characters beyond the read part (leading, trailing)


def align(pattern: Pattern, candidate: str, *, truncation: bool = True) -> Alignment:
    """Weighted edit distance of ``candidate`` against ``pattern`` with a backtrace (semi-global at the ends)."""
    tokens, n = pattern.tokens, len(candidate)
    m = len(tokens)
    inf = float("inf")
    lead = TRUNCATION_COST if truncation else inf
    cost = [[inf] * (n + 1) for _ in range(m + 1)]
    step: list[list[str]] = [[""] * (n + 1) for _ in range(m + 1)]
    cost[0][0] = 0.0
    for j in range(1, n + 1):
        cost[0][j], step[0][j] = j * lead, "lead"
    for i in range(1, m + 1):
        kind, ch = tokens[i - 1]
        row, prev = cost[i], cost[i - 1]
        for j in range(n + 1):
            if kind == "any":
                best, how = prev[j], "any0"
                if j and row[j - 1] < best:
                    best, how = row[j - 1], "any1"
            else:
                best, how = prev[j] + DELETION_COST, "del"
                if j:
                    diag = prev[j - 1] + (0.0 if kind == "one" else substitution_cost(ch, candidate[j - 1]))
                    if diag <= best:
                        best, how = diag, "diag"
                    ins = row[j - 1] + INSERTION_COST
                    if ins < best:
                        best, how = ins, "ins"
            row[j], step[i][j] = best, how
    tail = TRUNCATION_COST if truncation else inf
    end = min(range(n + 1), key=lambda j: (cost[m][j] + (n - j) * tail, -j))
    total = cost[m][end] + (n - end) * tail
    unreadable = subs = missed = extra = leading = 0
    confusions: list[tuple[str, str, int]] = []
    i, j = m, end
    while i > 0 or j > 0:
        how = step[i][j]
        if how == "lead":
            leading += 1
            j -= 1
        elif how == "any0":
            i -= 1
        elif how == "any1":
            unreadable += 1
            j -= 1
        elif how == "del":
            extra += 1
            i -= 1
        elif how == "ins":
            missed += 1
            j -= 1
        else:
            kind, ch = tokens[i - 1]
            actual = candidate[j - 1]
            if kind == "one":
                unreadable += 1
            elif ch != actual:
                if substitution_cost(ch, actual) < SUBSTITUTION_COST:
                    confusions.append((ch, actual, j))
                else:
                    subs += 1
            i, j = i - 1, j - 1
    return Alignment(total, unreadable, tuple(reversed(confusions)), subs, missed, extra, (leading, n - end))


def describe(alignment: Alignment) -> list[str]:
    parts: list[str] = []
    if alignment.unreadable:
        parts.append(f"{alignment.unreadable} character{'s' * (alignment.unreadable > 1)} unreadable")
    parts += [f"{actual} read as {read} at position {pos}" for read, actual, pos in alignment.confusions]
    for count, one, many in ((alignment.substitutions, "different character", "different characters"),
                             (alignment.missed, "character missed", "characters missed"),
                             (alignment.extra, "extra character read", "extra characters read")):
        if count:
            parts.append(f"{count} {one if count == 1 else many}")
    leading, trailing = alignment.truncated
    if leading:
        parts.append(f"{leading} leading character{'s' * (leading > 1)} not read")
    if trailing:
        parts.append(f"{trailing} trailing character{'s' * (trailing > 1)} not read")
    return parts or ["exact"]


@dataclass(frozen=True)
class Candidate:
    key: str
    serial: str
    manufacturer: str | None
    model: str | None
    caliber: str | None
    score: float      # 1.0 exact; falls with the weighted distance per readable character
    distance: float   # weighted edit distance plus attribute penalties
    reason: str


@dataclass(frozen=True)
class SerialIndex:
    """Serials sorted by length (then serial) with their skeletons, manufacturer codes and bigram postings."""

    keys: np.ndarray
    serials: np.ndarray
    skeletons: np.ndarray         # object array of str
    lengths: np.ndarray
    manufacturers: np.ndarray
    make_codes: np.ndarray        # int32 code per position into ``make_names`` (-1: unknown)
    make_names: tuple[str, ...]
    models: np.ndarray
    calibers: np.ndarray
    bigrams: Bigrams

    @classmethod
    def build(cls, firearms: pd.DataFrame) -> SerialIndex:
        """``firearms``: key, serial_normalized, manufacturer_normalized, model, caliber (other columns ignored).
        Firearms without a usable serial (obliterated, empty) are left out."""
        frame = firearms[firearms["serial_normalized"].notna()]
        frame = frame[~frame["serial_normalized"].astype(str).isin(NO_SERIAL)]
        serials = frame["serial_normalized"].astype(str).to_numpy(dtype=object)
        lengths = np.fromiter((len(s) for s in serials), dtype=np.int64, count=len(serials))
        order = np.lexsort((serials.astype(str), lengths))  # fixed-width text sorts in C, objects do not

        def column(name: str) -> np.ndarray:
            values = frame[name] if name in frame else pd.Series([None] * len(frame), index=frame.index)
            return values.astype(object).where(values.notna(), None).to_numpy(dtype=object)[order]

        ordered = serials[order]
        skeletons = np.array([skeleton(s) for s in ordered], dtype=object)
        makes = column("manufacturer_normalized")
        codes, names = pd.factorize(pd.Series(makes, dtype=object), use_na_sentinel=True)
        return cls(keys=column("key"), serials=ordered, skeletons=skeletons, lengths=lengths[order],
                   manufacturers=makes, make_codes=codes.astype(np.int32),
                   make_names=tuple(str(n) for n in names), models=column("model"), calibers=column("caliber"),
                   bigrams=Bigrams.build(skeletons.tolist()))

    def __len__(self) -> int:
        return len(self.serials)

    def window(self, shortest: int, longest: int) -> tuple[int, int]:
        """Positions of serials with ``shortest <= length <= longest``."""
        start, stop = np.searchsorted(self.lengths, [shortest, longest + 1])
        return int(start), int(stop)


def _compact(value: str | None) -> str:
    return re.sub(r"[^A-Z0-9]", "", str(value or "").upper())


def _make_filter(index: SerialIndex, manufacturer: str | None, start: int, stop: int) -> np.ndarray | None:
    """Positions allowed by the manufacturer (fuzzy >= 80 on normalised names), or None for no filter."""
    if not manufacturer:
        return None
    wanted = normalize_manufacturer(manufacturer) or manufacturer.upper()
    allowed = [code for code, name in enumerate(index.make_names) if fuzz.token_set_ratio(wanted, name) >= 80]
    return np.isin(index.make_codes[start:stop], np.asarray(allowed, dtype=np.int32))


def _similarity(wanted: str | None, actual: str | None) -> float | None:
    if not wanted:
        return None
    return fuzz.ratio(_compact(wanted), _compact(actual)) / 100.0


def match(index: SerialIndex, text: str, *, manufacturer: str | None = None, model: str | None = None,
          caliber: str | None = None, top: int = 10, truncation: bool = True,
          min_score: float = MIN_SCORE) -> list[Candidate]:
    """Candidates for a partial serial, best first (ties broken by serial, then key).

    ``manufacturer`` filters (fuzzy, after normalisation: "S&W" finds SMITH & WESSON); ``model`` and ``caliber``
    adjust the ranking: a mismatch adds up to 0.5 to the distance, so a clearly better serial still wins.
    Candidates scoring below ``min_score`` (about a third of the readable characters wrong) are dropped.
    """
    if top < 1:
        raise InvalidInput("top must be at least 1")
    pattern = parse_pattern(text)
    readable_skeleton = skeleton(pattern.readable)
    marked_skeleton = skeleton("".join(ch if kind == "lit" else "\x00" for kind, ch in pattern.tokens
                                       if kind != "any"))
    low = max(1, pattern.fixed_length - 2)
    high = MAX_PATTERN if (pattern.open_ended or truncation) else pattern.fixed_length + 2
    if not pattern.open_ended and truncation:
        high = min(high, pattern.fixed_length + 4)
    start, stop = index.window(low, high)
    if stop <= start:
        return []
    # 1. bigram counts over the length window keep the most promising BIGRAM_KEEP serials
    codes = sorted({c for run in re.findall(r"[A-Z0-9]+", "".join(
        ch if kind == "lit" else " " for kind, ch in pattern.tokens)) for c in Bigrams.codes(skeleton(run))})
    counts = index.bigrams.counts(codes, start, stop).astype(np.float64)
    allowed = _make_filter(index, manufacturer, start, stop)
    if allowed is not None:
        counts[~allowed] = -1.0
    live = np.flatnonzero(counts >= 0)
    if len(live) > BIGRAM_KEEP and codes:
        live = live[np.argpartition(-counts[live], BIGRAM_KEEP - 1)[:BIGRAM_KEEP]]
    if len(live) == 0:
        return []
    positions = live + start
    # 2. rapidfuzz on the skeletons: LCS of the readable characters, ties ordered by plain edit distance with each
    # wildcard as a character that never matches, and a little against lengths far from what was read
    block = index.skeletons[positions].tolist()
    coarse = process.cdist([readable_skeleton], block, scorer=LCSseq.similarity, dtype=np.int32,
                           workers=1)[0].astype(np.float64)
    coarse -= 0.1 * process.cdist([marked_skeleton], block, scorer=Levenshtein.distance, dtype=np.int32,
                                  workers=1)[0]
    coarse -= 0.25 * np.abs(index.lengths[positions] - pattern.fixed_length)
    if len(positions) > PREFILTER:
        positions = positions[np.argpartition(-coarse, PREFILTER - 1)[:PREFILTER]]
    # 3. exact weighted alignment with reasons
    found = []
    for pos in positions.tolist():
        alignment = align(pattern, str(index.serials[pos]), truncation=truncation)
        reasons = describe(alignment)
        penalty = 0.0
        if manufacturer:
            reasons.append("manufacturer matches")
        for label, wanted, actual in (("model", model, index.models[pos]), ("caliber", caliber, index.calibers[pos])):
            similarity = _similarity(wanted, actual)
            if similarity is None:
                continue
            if similarity >= 0.999:
                reasons.append(f"{label} matches")
            elif similarity >= 0.7:
                reasons.append(f"{label} similar ({actual})")
                penalty += 0.5 * (1 - similarity)
            else:
                reasons.append(f"{label} differs ({actual or 'unknown'})")
                penalty += 0.5
        distance = alignment.cost + penalty
        score = max(0.0, 1.0 - distance / max(len(pattern.readable), 1))
        if score < min_score:
            continue
        found.append(Candidate(key=str(index.keys[pos]), serial=str(index.serials[pos]),
                               manufacturer=index.manufacturers[pos], model=index.models[pos],
                               caliber=index.calibers[pos], score=round(score, 4), distance=round(distance, 4),
                               reason="; ".join(reasons)))
    found.sort(key=lambda c: (c.distance, c.serial, c.key))
    return found[:top]
