"""Normalisation helpers for person names and postal addresses, used by :mod:`loaders.identity`.

Every function works on a pandas Series and normalises each *distinct* value once (``pd.factorize``), so a
column of two million names with two hundred thousand distinct values costs two hundred thousand calls.

* names: upper case, accents folded, apostrophes dropped, other punctuation to spaces; generational suffixes
  (JR, SR, II, III, IV and their spelled-out forms) are pulled out of the name fields into the suffix; a second
  token in the first-name field becomes the middle name when that is empty; surnames compare without spaces
  or hyphens (``DE LA CRUZ`` = ``DELACRUZ``).
* first-name agreement (:func:`first_name_agreement`): exact, nickname (the Apache-2.0 ``nicknames`` table of
  Northern & Crews: WILLIAM/BILL, ROBERT/BOB...), typo (one edit, Damerau/OSA, for names of four letters or
  more, or Jaro-Winkler >= 0.92 as in Winkler 1990), initial (``J`` against ``JOHN``), or none.
* addresses: USPS Publication 28 street-suffix and directional abbreviations (STREET -> ST, NORTH -> N),
  secondary unit designators (APT, UNIT, STE, #...) and everything after them dropped, ZIP cut to five digits.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import pandas as pd
from nicknames import NickNamer
from rapidfuzz.distance import OSA, JaroWinkler

# First-name agreement levels, strongest first (0 = disagree).
FIRST_EXACT, FIRST_NICKNAME, FIRST_TYPO, FIRST_INITIAL, FIRST_NONE = 4, 3, 2, 1, 0

SUFFIXES: dict[str, str] = {
    "JR": "JR", "JUNIOR": "JR", "SR": "SR", "SENIOR": "SR",
    "II": "II", "2ND": "II", "III": "III", "3RD": "III", "IV": "IV", "4TH": "IV", "V": "V", "5TH": "V",
}
# Tokens taken as a suffix when they appear inside a name field (a lone V or I there is more likely an initial).
_SUFFIX_IN_NAME = {k: v for k, v in SUFFIXES.items() if k not in {"V", "5TH"}}
_NO_MIDDLE = {"NMN", "NMI", "NONE"}

STREET_ABBREVIATIONS: dict[str, str] = {
    "STREET": "ST", "STR": "ST", "AVENUE": "AVE", "AV": "AVE", "AVEN": "AVE", "AVN": "AVE", "ROAD": "RD",
    "DRIVE": "DR", "DRV": "DR", "BOULEVARD": "BLVD", "BOUL": "BLVD", "LANE": "LN", "COURT": "CT", "PLACE": "PL",
    "TERRACE": "TER", "CIRCLE": "CIR", "HIGHWAY": "HWY", "PARKWAY": "PKWY", "PKY": "PKWY", "SQUARE": "SQ",
    "TRAIL": "TRL", "PLAZA": "PLZ", "EXPRESSWAY": "EXPY", "FREEWAY": "FWY", "POINT": "PT", "RIDGE": "RDG",
    "CRESCENT": "CRES", "ALLEY": "ALY", "HEIGHTS": "HTS", "MOUNT": "MT", "FORT": "FT", "TURNPIKE": "TPKE",
    "CROSSING": "XING", "COVE": "CV", "CREEK": "CRK", "ESTATES": "EST", "GARDENS": "GDNS", "GROVE": "GRV",
    "HILL": "HL", "HOLLOW": "HOLW", "JUNCTION": "JCT", "MEADOWS": "MDWS", "PARK": "PARK", "PIKE": "PIKE",
    "ROUTE": "RTE", "RT": "RTE", "RUN": "RUN", "VIEW": "VW", "VILLAGE": "VLG", "WAY": "WAY",
    "NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W",
    "NORTHEAST": "NE", "NORTHWEST": "NW", "SOUTHEAST": "SE", "SOUTHWEST": "SW",
    "FIRST": "1ST", "SECOND": "2ND", "THIRD": "3RD", "FOURTH": "4TH", "FIFTH": "5TH", "SIXTH": "6TH",
    "SEVENTH": "7TH", "EIGHTH": "8TH", "NINTH": "9TH", "TENTH": "10TH",
}
UNIT_DESIGNATORS = ("APT", "APARTMENT", "UNIT", "STE", "SUITE", "#", "FL", "FLOOR", "RM", "ROOM", "BLDG",
                    "BUILDING", "LOT", "TRLR", "SPC", "SPACE", "DEPT", "NO")

_NON_NAME = re.compile(r"[^A-Z0-9 ]+")
_NON_STREET = re.compile(r"[^A-Z0-9# ]+")
_UNIT = re.compile(r"(?:^|\s)(?:" + "|".join(re.escape(u) for u in UNIT_DESIGNATORS) + r")(?:\s|$|(?=\d)).*$")
_ABBREV = re.compile(r"\b(" + "|".join(sorted(STREET_ABBREVIATIONS, key=len, reverse=True)) + r")\b")


def _per_distinct(values: pd.Series, func: Callable[[str], object]) -> np.ndarray:
    """Apply ``func`` to each distinct value (None/NaN as ""), return an object array aligned with ``values``."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.array([func(str(u)) for u in uniques] + [func("")], dtype=object)
    return mapped[codes]  # code -1 (missing) picks the trailing entry


@functools.lru_cache(maxsize=1 << 18)  # a loader folds the same names batch after batch
def fold(text: str) -> str:
    """Upper case, accents removed, apostrophes dropped, other punctuation -> space, spaces collapsed."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").upper()
    text = text.replace("'", "").replace("`", "")
    return " ".join(_NON_NAME.sub(" ", text).split())


def trimmed(values: pd.Series) -> np.ndarray:
    """Stored form of a free-text field: as given, outer whitespace stripped, inner runs collapsed; "" -> None."""

    def one(text: str) -> str | None:
        text = " ".join(text.split())
        return text or None

    return _per_distinct(values, one)


def _split_suffix(tokens: list[str]) -> tuple[list[str], str]:
    kept = [t for t in tokens if t not in _SUFFIX_IN_NAME]
    found = next((_SUFFIX_IN_NAME[t] for t in tokens if t in _SUFFIX_IN_NAME), "")
    # a name that is nothing but a suffix-looking token ("V", "IV") is kept as the name
    return (kept, found) if kept else (tokens, "")


def normalise_names(last: pd.Series, first: pd.Series, middle: pd.Series,
                    suffix: pd.Series) -> dict[str, np.ndarray]:
    """Normalised ``last``, ``first``, ``middle`` and ``suffix`` arrays (empty string = absent)."""

    def last_one(text: str) -> tuple[str, str]:
        kept, sfx = _split_suffix(fold(text).split())
        return "".join(kept), sfx

    def first_one(text: str) -> tuple[str, str, str]:
        kept, sfx = _split_suffix(fold(text).split())
        return (kept[0] if kept else ""), " ".join(kept[1:]), sfx

    def middle_one(text: str) -> tuple[str, str]:
        kept, sfx = _split_suffix(fold(text).split())
        kept = [t for t in kept if t not in _NO_MIDDLE]
        return (kept[0] if kept else ""), sfx

    def suffix_one(text: str) -> str:
        tokens = fold(text).split()
        return SUFFIXES.get(tokens[0], tokens[0]) if tokens else ""

    last_parts = _per_distinct(last, last_one)
    first_parts = _per_distinct(first, first_one)
    middle_parts = _per_distinct(middle, middle_one)
    suffix_n = _per_distinct(suffix, suffix_one)
    out_first = _column(first_parts, 0)
    spill = _column(first_parts, 1)
    spill = np.array([s.split(" ", 1)[0] for s in spill], dtype=object)
    out_middle = _column(middle_parts, 0)
    out_middle = np.where(out_middle == "", spill, out_middle)
    for parts in (middle_parts, first_parts, last_parts):  # explicit column first, then the name fields
        suffix_n = np.where(suffix_n == "", _column(parts, -1), suffix_n)
    return {"last": _column(last_parts, 0), "first": out_first, "middle": out_middle.astype(object),
            "suffix": suffix_n.astype(object)}


def _column(parts: np.ndarray, index: int) -> np.ndarray:
    return np.array([p[index] for p in parts], dtype=object)


@functools.lru_cache(maxsize=1 << 18)
def normalise_street(text: str) -> str:
    """``"123 North Main Street, Apt. 4B"`` -> ``"123 N MAIN ST"`` (USPS Pub. 28 abbreviations, unit removed)."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").upper()
    text = " ".join(_NON_STREET.sub(" ", text.replace("'", "")).replace("#", " # ").split())
    text = _UNIT.sub("", text).strip()
    return _ABBREV.sub(lambda m: STREET_ABBREVIATIONS[m.group(1)], text)


def normalise_addresses(street: pd.Series, city: pd.Series, state: pd.Series,
                        zip_code: pd.Series) -> dict[str, np.ndarray]:
    """Normalised ``street``, ``city``, ``state`` and five-digit ``zip`` arrays (empty string = absent)."""

    def zip_one(text: str) -> str:
        digits = re.sub(r"\D", "", text)
        return digits[:5].zfill(5) if len(digits) >= 3 else ""

    return {"street": _per_distinct(street, normalise_street), "city": _per_distinct(city, fold),
            "state": _per_distinct(state, fold), "zip": _per_distinct(zip_code, zip_one)}


def address_keys(persons: pd.DataFrame) -> np.ndarray:
    """Per row of ``persons`` (street, city, state, zip columns), the normalised ``street|zip`` a shared-address
    tie compares ('' when either part is missing): stored as ``Person.address_key`` at load, computed the same way
    by the straw features (algorithms/straw_features.py)."""
    if persons.empty:
        return np.array([], dtype=object)
    norm = normalise_addresses(persons["street"].fillna(""), persons["city"].fillna(""),
                               persons["state"].fillna(""), persons["zip"].fillna(""))
    keys = np.char.add(np.char.add(norm["street"].astype(str), "|"), norm["zip"].astype(str))
    keep = (norm["street"] != "") & (norm["zip"] != "")
    return np.where(keep, keys, "").astype(object)


@lru_cache(maxsize=1)
def _nickname_sets() -> Callable[[str], frozenset[str]]:
    namer = NickNamer()

    @lru_cache(maxsize=200_000)
    def related(name: str) -> frozenset[str]:
        low = name.lower()
        return frozenset({low} | namer.nicknames_of(low) | namer.canonicals_of(low))

    return related


def first_name_agreement(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Agreement level (``FIRST_*``) of two aligned arrays of normalised first names; empty never agrees."""
    out = np.zeros(len(a), dtype=np.int8)
    if len(a) == 0:
        return out
    pairs = pd.DataFrame({"a": a, "b": b})
    codes, uniques = pd.factorize(pd.MultiIndex.from_frame(pairs))
    related = _nickname_sets()
    levels = np.zeros(len(uniques), dtype=np.int8)
    for i, (x, y) in enumerate(uniques):
        levels[i] = _agreement(x, y, related)
    return levels[codes]


def _agreement(x: str, y: str, related: Callable[[str], frozenset[str]]) -> int:
    if not x or not y:
        return FIRST_NONE
    if x == y:
        return FIRST_EXACT
    if len(x) == 1 or len(y) == 1:
        return FIRST_INITIAL if x[0] == y[0] else FIRST_NONE
    rx, ry = related(x), related(y)
    short, long_ = sorted((x, y), key=len)
    if rx & ry or (len(short) >= 3 and long_.startswith(short)):  # KEN / KENNETH, CHRIS / CHRISTOPHER
        return FIRST_NICKNAME
    if _typo(x, y):
        return FIRST_TYPO
    # a typo of a nickname form: JEANIFER / JEN (via JENNIFER)
    if any(_typo(x, r.upper()) for r in ry - {y.lower()}) or any(_typo(y, r.upper()) for r in rx - {x.lower()}):
        return FIRST_TYPO
    return FIRST_NONE


def _typo(x: str, y: str) -> bool:
    """One edit apart (four letters or more), or Jaro-Winkler >= 0.92."""
    return (min(len(x), len(y)) >= 4 and OSA.distance(x, y) <= 1) or JaroWinkler.similarity(x, y) >= 0.92


def dates(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dates as ``datetime.date`` (or None), as day numbers (-1 = none), and day/month swapped (-1 = impossible)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    parsed = pd.to_datetime(pd.Series(uniques, dtype=object), errors="coerce")
    as_date = [None if pd.isna(t) else t.date() for t in parsed]
    days = [-1 if d is None else d.toordinal() for d in as_date]
    swapped = [-1 if d is None or d.day > 12 or d.day == d.month else d.replace(month=d.day, day=d.month).toordinal()
               for d in as_date]
    pick = np.append(np.arange(len(uniques)), -1)[codes] if len(codes) else codes
    return (np.array([*as_date, None], dtype=object)[pick], np.array([*days, -1], dtype=np.int64)[pick],
            np.array([*swapped, -1], dtype=np.int64)[pick])


def normalise_records(frame: pd.DataFrame) -> pd.DataFrame:
    """Stored values (trimmed) plus normalised ``n_*`` columns, day numbers and completeness of person records.

    ``frame`` has the person fields ``last_name, first_name, middle_name, suffix, dob, street, city, state, zip``.
    """
    raw = frame.reset_index(drop=True)
    rec = pd.DataFrame(index=raw.index)
    for col in ("last_name", "first_name", "middle_name", "suffix", "street", "city", "state", "zip"):
        rec[col] = pd.Series(trimmed(raw[col].astype(object)), dtype=object)
    rec["dob"], rec["dob_day"], rec["dob_swap"] = dates(raw["dob"])
    names = normalise_names(raw["last_name"], raw["first_name"], raw["middle_name"], raw["suffix"])
    addresses = normalise_addresses(raw["street"], raw["city"], raw["state"], raw["zip"])
    for key, values in (*names.items(), *addresses.items()):
        rec["n_" + key] = pd.Series(values, dtype=object)
    rec["n_mi"] = pd.Series([m[:1] for m in rec["n_middle"]], dtype=object)
    rec["has_dob"] = rec["dob_day"] >= 0
    rec["has_addr"] = (rec["n_street"] != "") & ((rec["n_zip"] != "") | (rec["n_city"] != ""))
    rec["usable"] = (rec["n_last"] != "") & (rec["n_first"] != "") & (rec["has_dob"] | rec["has_addr"])
    rec["completeness"] = (4 * rec["has_dob"] + 2 * rec["has_addr"] + (rec["n_middle"] != "")
                           + (rec["n_suffix"] != "")).astype("int8")
    parts = [rec[c].fillna("").astype(str) for c in ("last_name", "first_name", "middle_name", "street")]
    rec["raw_sort"] = parts[0].str.cat(parts[1:], sep="|")
    return rec
