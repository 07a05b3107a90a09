"""Synthetic people and the way their identities are written on forms.

A person is a row of a :class:`People` registry (name parts, date of birth, home address). Every record that
mentions a person renders the identity afresh, the way clerks and officers write it: upper or title case, stray
spaces, middle name full or as an initial or missing, suffix in the last-name field or dropped, a nickname for
the first name, a missing DOB, the street type abbreviated or spelled out.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from loaders.synthetic import names_data as nd
from loaders.synthetic.dates import format_dates
from loaders.synthetic.tables import concat_blocks

_SURNAMES = np.array(nd.SURNAMES, dtype=object)
_MALE = np.array(nd.MALE_FIRST, dtype=object)
_FEMALE = np.array(nd.FEMALE_FIRST, dtype=object)
_STREETS = np.array(nd.STREET_NAMES, dtype=object)
_TYPE_SHORT = np.array([t[0] for t in nd.STREET_TYPES], dtype=object)
_TYPE_LONG = np.array([t[1] for t in nd.STREET_TYPES], dtype=object)
_SUFFIXES = np.array(nd.SUFFIXES, dtype=object)


@functools.cache
def _zipf_cdf(size: int, exponent: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, size + 1) ** exponent
    return np.cumsum(weights / weights.sum())


def _zipf_index(rng: np.random.Generator, n: int, size: int, exponent: float = 0.9) -> np.ndarray:
    """Indices 0..size-1, the first ones more frequent (name frequencies are roughly Zipfian)."""
    return np.minimum(np.searchsorted(_zipf_cdf(size, exponent), rng.random(n), side="right"), size - 1)


@dataclass
class PeopleBlock:
    first: np.ndarray
    middle: np.ndarray
    last: np.ndarray
    suffix: np.ndarray
    dob: np.ndarray  # days since 1970
    street_no: np.ndarray
    street: np.ndarray
    street_type: np.ndarray
    unit: np.ndarray
    place: np.ndarray  # index into Geography.places


class People:
    """Registry of every person the world creates; ids are row numbers, in creation order."""

    def __init__(self) -> None:
        self._blocks: list[PeopleBlock] = []
        self.count = 0
        self._frame: pd.DataFrame | None = None
        self._columns: dict[str, np.ndarray] | None = None

    def create(self, rng: np.random.Generator, n: int, place: np.ndarray, *, birth_from: int, birth_to: int,
               female_share: float = 0.12) -> np.ndarray:
        """Create ``n`` people living in ``place`` (array of place indices, length n); returns their ids."""
        female = rng.random(n) < female_share
        first = np.where(female, _FEMALE[_zipf_index(rng, n, len(_FEMALE))],
                         _MALE[_zipf_index(rng, n, len(_MALE))])
        middle_pick = np.where(rng.random(n) < 0.5, _MALE[rng.integers(0, len(_MALE), n)],
                               _FEMALE[rng.integers(0, len(_FEMALE), n)])
        middle = np.where(rng.random(n) < 0.8, middle_pick, "")
        suffix = np.where((~female) & (rng.random(n) < 0.06), _SUFFIXES[rng.integers(0, len(_SUFFIXES), n)], "")
        block = PeopleBlock(
            first=first.astype(object), middle=middle.astype(object),
            last=_SURNAMES[_zipf_index(rng, n, len(_SURNAMES), 0.7)], suffix=suffix.astype(object),
            dob=rng.integers(birth_from, birth_to, n), street_no=rng.integers(100, 9900, n),
            street=rng.integers(0, len(_STREETS), n), street_type=rng.integers(0, len(_TYPE_SHORT), n),
            unit=np.where(rng.random(n) < 0.15, rng.integers(1, 40, n).astype(str), "").astype(object),
            place=np.asarray(place, dtype=np.int64))
        ids = np.arange(self.count, self.count + n, dtype=np.int64)
        self._blocks.append(block)
        self.count += n
        self._frame = None
        self._columns = None
        return ids

    def share_address(self, target: np.ndarray, source: np.ndarray) -> None:
        """Give each ``target`` person the home address of the matching ``source`` person (same household)."""
        frame = self.frame()
        self.update(target, **{col: frame[col].to_numpy()[source] for col in
                               ("street_no", "street", "street_type", "unit", "place")})

    def update(self, rows: np.ndarray, **cols: Any) -> None:
        frame = self.frame()
        for name, value in cols.items():
            arr = frame[name].to_numpy().copy()
            arr[np.asarray(rows, dtype=np.int64)] = value
            frame[name] = arr
        self._columns = None
        self._blocks = [PeopleBlock(**{c: frame[c].to_numpy() for c in frame.columns})]

    def frame(self) -> pd.DataFrame:
        if self._frame is None:
            self._frame = concat_blocks([vars(b) for b in self._blocks], list(PeopleBlock.__dataclass_fields__))
            self._blocks = [PeopleBlock(**{c: self._frame[c].to_numpy() for c in self._frame.columns})]
        return self._frame

    def canonical(self, pid: int, places: pd.DataFrame) -> dict[str, str]:
        """The identity as the generator holds it (for truth.json)."""
        frame = self.frame()
        if self._columns is None:
            self._columns = {c: frame[c].to_numpy() for c in frame.columns}
        col = {c: v[int(pid)] for c, v in self._columns.items()}
        place = int(col["place"])
        street = f"{col['street_no']} {_STREETS[col['street']]} {_TYPE_SHORT[col['street_type']]}"
        return {"last_name": col["last"], "first_name": col["first"], "middle_name": col["middle"],
                "suffix": col["suffix"], "dob": format_dates(np.array([col["dob"]]), np.array([False]))[0],
                "street": street + (f" APT {col['unit']}" if col["unit"] else ""),
                "city": str(places["city"].iat[place]).upper(), "state": str(places["state"].iat[place]),
                "zip": str(places["zip"].iat[place])}


def _typo(rng: np.random.Generator, values: pd.Series, share: float) -> pd.Series:
    """One letter of a name of four or more letters replaced by a neighbouring letter of the alphabet."""
    out = values.to_numpy(dtype=object).copy()
    hit = np.flatnonzero((rng.random(len(out)) < share) & (values.str.len().to_numpy() >= 4))
    for i in hit:
        name = str(out[i])
        at = int(rng.integers(1, len(name)))
        if name[at].isalpha():
            out[i] = name[:at] + chr((ord(name[at].upper()) - 64) % 26 + 65) + name[at + 1:]
    return pd.Series(out, index=values.index, dtype=object)


def _case(rng: np.random.Generator, values: pd.Series, upper_share: float = 0.75) -> pd.Series:
    draw = rng.random(len(values))
    title = values.str.title()
    lower = values.str.lower()
    out = values.where(draw < upper_share, title.where(draw < 0.98, lower))
    return out


def _spacing(rng: np.random.Generator, values: pd.Series, share: float = 0.03) -> pd.Series:
    draw = rng.random(len(values))
    doubled = values.str.replace(" ", "  ", n=1, regex=False)
    padded = " " + values + " "
    return values.where(draw >= share, doubled.where(draw < share / 2, padded)).where(values != "", "")


def render_identity(rng: np.random.Generator, people: People, places: pd.DataFrame, pid: np.ndarray,
                    us_dates: np.ndarray, *, dob_missing: float, middle_column: bool,
                    address: bool = True, nickname_share: float = 0.08,
                    typo_share: float = 0.0) -> dict[str, pd.Series]:
    """Columns ``last_name, first_name, middle_name, dob, street, city, state, zip`` for records of ``pid``.

    Each record draws its own variations, so the same person is written differently across records.
    """
    frame = people.frame()
    n = len(pid)
    sel = frame.iloc[pid]
    first = pd.Series(sel["first"].to_numpy(), dtype=object)
    nick = first.map(nd.NICKNAMES)
    use_nick = (rng.random(n) < nickname_share) & nick.notna().to_numpy()
    first = first.where(~use_nick, nick)
    if typo_share > 0:
        first = _typo(rng, first, typo_share)
    middle = pd.Series(sel["middle"].to_numpy(), dtype=object)
    mdraw = rng.random(n)
    middle = middle.where(mdraw < 0.45, middle.str[:1].where(mdraw < 0.80, ""))
    if not middle_column:
        first = first.where(~((mdraw < 0.2) & (middle != "")), first + " " + middle.str[:1])
        middle = pd.Series([""] * n, dtype=object)
    last = pd.Series(sel["last"].to_numpy(), dtype=object)
    suffix = pd.Series(sel["suffix"].to_numpy(), dtype=object)
    sdraw = rng.random(n)
    with_suffix = last + " " + suffix
    with_comma = last + ", " + suffix + "."
    last = last.where(suffix == "", with_suffix.where(sdraw < 0.55, with_comma.where(sdraw < 0.75, last)))
    cols: dict[str, pd.Series] = {
        "last_name": _spacing(rng, _case(rng, last)), "first_name": _spacing(rng, _case(rng, first)),
        "middle_name": _case(rng, middle)}
    dob = pd.Series(format_dates(sel["dob"].to_numpy(), us_dates), dtype=object)
    cols["dob"] = dob.where(rng.random(n) >= dob_missing, "")
    if address:
        place = places.iloc[sel["place"].to_numpy()]
        long_type = rng.random(n) < 0.3
        stype = np.where(long_type, _TYPE_LONG[sel["street_type"].to_numpy()],
                         _TYPE_SHORT[sel["street_type"].to_numpy()])
        street = (pd.Series(sel["street_no"].astype(str).to_numpy(), dtype=object) + " "
                  + pd.Series(_STREETS[sel["street"].to_numpy()], dtype=object) + " "
                  + pd.Series(stype, dtype=object))
        unit = pd.Series(sel["unit"].to_numpy(), dtype=object)
        udraw = rng.random(n)
        street = street.where(unit == "", street + np.where(udraw < 0.6, " APT ", " #") + unit)
        cols["street"] = _case(rng, street, 0.8)
        cols["city"] = _case(rng, pd.Series(place["city"].str.upper().to_numpy(), dtype=object), 0.7)
        cols["state"] = pd.Series(place["state"].to_numpy(), dtype=object)
        cols["zip"] = pd.Series(place["zip"].to_numpy(), dtype=object)
    return cols
