"""Seeded generator of labelled person mentions for measuring identity resolution (no real personal data).

Each synthetic person gets a surname (a few very common ones dominate, as in the US Census surname list), a first
name from a pool with common nicknames, an optional middle name and suffix, a DOB, and one or two addresses (an
address change). Each person is then mentioned one to many times, as a purchaser (with a middle-name field) or a
possessor (without one), with realistic variation: case, stray spaces, middle name full / initial / absent /
spilled into the first-name field, suffix in its field / glued to the surname / dropped, nicknames, one-character
typos in the first name, DOB missing (~20 %) or day and month swapped, street-type and directional spelled out or
abbreviated, apartment designators added or dropped, ZIP+4. Hard cases are planted on purpose: father and son with
the same name at the same address (``SR``/``JR``, sometimes no suffix at all), namesakes (same first and last name,
different DOB and address) and many bearers of the commonest surnames.

``make_mentions(...)`` returns the mentions frame :func:`loaders.identity.resolve_people` takes plus a
``true_person`` column; :func:`pairwise_scores` computes pairwise precision and recall of a clustering.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

COMMON_SURNAMES = ("SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "GARCIA", "MILLER", "DAVIS", "RODRIGUEZ",
                   "MARTINEZ", "HERNANDEZ", "LOPEZ", "GONZALEZ", "WILSON", "ANDERSON", "THOMAS", "TAYLOR",
                   "MOORE", "JACKSON", "MARTIN", "LEE", "PEREZ", "THOMPSON", "WHITE", "HARRIS", "O'BRIEN",
                   "DE LA CRUZ", "SMITH-JONES")
FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "WILLIAM": ("BILL", "WILL", "BILLY"), "ROBERT": ("BOB", "ROB", "BOBBY"), "JAMES": ("JIM", "JIMMY"),
    "JOHN": ("JACK", "JOHNNY"), "MICHAEL": ("MIKE",), "RICHARD": ("RICK", "DICK"), "THOMAS": ("TOM", "TOMMY"),
    "CHRISTOPHER": ("CHRIS",), "DANIEL": ("DAN", "DANNY"), "JOSEPH": ("JOE", "JOEY"), "ANTHONY": ("TONY",),
    "CHARLES": ("CHUCK", "CHARLIE"), "DAVID": ("DAVE",), "STEVEN": ("STEVE",), "EDWARD": ("ED", "EDDIE"),
    "ELIZABETH": ("LIZ", "BETH"), "JENNIFER": ("JEN",), "PATRICIA": ("PATTY",), "KATHERINE": ("KATHY", "KATE"),
    "MARGARET": ("PEGGY", "MAGGIE"), "KENNETH": ("KEN",), "TIMOTHY": ("TIM",), "GREGORY": ("GREG",),
    "MATTHEW": ("MATT",), "NICHOLAS": ("NICK",), "BENJAMIN": ("BEN",), "SAMUEL": ("SAM",), "ANDREW": ("ANDY",),
    "JEFFREY": ("JEFF",), "RONALD": ("RON",), "DONALD": ("DON",), "LAWRENCE": ("LARRY",), "RAYMOND": ("RAY",),
    "KEVIN": (), "BRIAN": (), "JASON": (), "JUAN": (), "LUIS": (), "CARLOS": (), "MARIA": (), "ASHLEY": (),
    "TYRONE": (), "DESHAWN": (), "ANDRE": (), "MARCUS": (), "TERRELL": (), "JOSE": (), "MIGUEL": (), "ERIC": (),
    "SCOTT": (), "JUSTIN": (), "BRANDON": (), "AARON": (), "ADAM": (), "KYLE": (), "TRAVIS": (), "DUSTIN": (),
    "SHAWN": (), "CODY": (), "DERRICK": (), "LATOYA": (), "KEISHA": (), "ANGELA": (), "MELISSA": (),
}
MIDDLE_NAMES = ("LEE", "ALLEN", "WAYNE", "RAY", "LYNN", "MARIE", "ANN", "JAMES", "EDWARD", "LOUIS", "DEAN",
                "PAUL", "JOSEPH", "MICHAEL", "ANTHONY", "EARL", "GENE", "DALE", "ROSE", "JEAN")
STREET_NAMES = ("MAIN", "OAK", "PINE", "MAPLE", "CEDAR", "ELM", "WASHINGTON", "LAKE", "HILL", "PARK", "LINCOLN",
                "JACKSON", "MADISON", "FRANKLIN", "CHESTNUT", "WALNUT", "SPRING", "RIVER", "CHURCH", "MILL",
                "HIGHLAND", "SUNSET", "MARTIN LUTHER KING", "CENTER", "FOREST", "MEADOW", "RIDGE", "VALLEY")
STREET_TYPES = (("STREET", "ST"), ("AVENUE", "AVE"), ("ROAD", "RD"), ("DRIVE", "DR"), ("BOULEVARD", "BLVD"),
                ("LANE", "LN"), ("COURT", "CT"), ("PLACE", "PL"))
DIRECTIONS = (("NORTH", "N"), ("SOUTH", "S"), ("EAST", "E"), ("WEST", "W"))
CITIES = (("RICHMOND", "VA", "232"), ("NORFOLK", "VA", "235"), ("BALTIMORE", "MD", "212"),
          ("ATLANTA", "GA", "303"), ("CHICAGO", "IL", "606"), ("GARY", "IN", "464"), ("JACKSON", "MS", "392"),
          ("MEMPHIS", "TN", "381"), ("HOUSTON", "TX", "770"), ("PHOENIX", "AZ", "850"),
          ("COLUMBIA", "SC", "292"), ("CHARLOTTE", "NC", "282"))
_SYLLABLES = ("BAR", "KER", "MON", "DEL", "SON", "TAR", "VEN", "LIN", "HOL", "WAY", "RIC", "STO", "GAN", "FIELD",
              "BER", "MAN", "TON", "WELL", "OVA", "ESKI", "QUIN", "DOR", "ASH", "BUR", "ROW", "KIN", "LEY")


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    true_pairs: int
    predicted_pairs: int


def pairwise_scores(predicted: pd.Series, truth: pd.Series) -> Scores:
    """Pairwise precision/recall of a clustering: every pair of mentions put together counts once."""

    def pairs(sizes: pd.Series) -> int:
        s = sizes.to_numpy(dtype=np.int64)
        return int((s * (s - 1) // 2).sum())

    frame = pd.DataFrame({"p": predicted.to_numpy(), "t": truth.to_numpy()})
    both = pairs(frame.groupby(["p", "t"]).size())
    pred, true = pairs(frame.groupby("p").size()), pairs(frame.groupby("t").size())
    return Scores(both / pred if pred else 1.0, both / true if true else 1.0, true, pred)


class _Persons:
    def __init__(self, rng: np.random.Generator, n: int) -> None:
        self.rng = rng
        rare = ["".join(rng.choice(_SYLLABLES, size=rng.integers(2, 4))) for _ in range(max(50, n // 3))]
        weights = np.concatenate([1.0 / np.arange(1, len(COMMON_SURNAMES) + 1) * 0.35 * len(rare) / 4,
                                  np.ones(len(rare))])
        self.surnames = np.array([*COMMON_SURNAMES, *rare], dtype=object)
        self.surname_p = weights / weights.sum()
        self.firsts = np.array(list(FIRST_NAMES), dtype=object)
        self.rows: list[dict[str, object]] = []
        self._drawn: list[int] = []

    def surname(self) -> str:
        if not self._drawn:  # drawing with weights one at a time is slow: draw in bulk
            self._drawn = list(self.rng.choice(len(self.surnames), size=4096, p=self.surname_p))
        return str(self.surnames[self._drawn.pop()])

    def address(self) -> dict[str, object]:
        rng = self.rng
        city, state, zip3 = CITIES[rng.integers(len(CITIES))]
        return {"number": int(rng.integers(1, 9999)), "direction": int(rng.integers(-3, len(DIRECTIONS))),
                "name": STREET_NAMES[rng.integers(len(STREET_NAMES))], "type": int(rng.integers(len(STREET_TYPES))),
                "unit": int(rng.integers(1, 40)) if rng.random() < 0.3 else 0, "city": city, "state": state,
                "zip": f"{zip3}{rng.integers(0, 100):02d}"}

    def dob(self, low: int = 1950, high: int = 2004) -> dt.date:
        start, end = dt.date(low, 1, 1).toordinal(), dt.date(high, 12, 31).toordinal()
        return dt.date.fromordinal(int(self.rng.integers(start, end)))

    def add(self, **fields: object) -> dict[str, object]:
        rng = self.rng
        person: dict[str, object] = {
            "id": len(self.rows), "last": self.surname(),
            "first": self.firsts[rng.integers(len(self.firsts))],
            "middle": MIDDLE_NAMES[rng.integers(len(MIDDLE_NAMES))] if rng.random() < 0.7 else None,
            "suffix": None, "dob": self.dob(), "addresses": [self.address()]}
        if rng.random() < 0.3:
            person["addresses"] = [self.address(), *person["addresses"]]  # type: ignore[misc]
        person.update(fields)
        person["id"] = len(self.rows)
        self.rows.append(person)
        return person


def make_people(n: int, rng: np.random.Generator) -> list[dict[str, object]]:
    """``n`` people (roughly): ordinary people, father/son pairs sharing a name and address, and namesakes."""
    people = _Persons(rng, n)
    while len(people.rows) < n:
        roll = rng.random()
        if roll < 0.05:  # father and son: same name, same (current) address, JR / SR or no suffix
            father = people.add(dob=people.dob(1940, 1965))
            father["suffix"] = "SR" if rng.random() < 0.5 else None
            son_dob = dt.date.fromordinal(father["dob"].toordinal() + int(rng.integers(20 * 365, 35 * 365)))
            people.add(last=father["last"], first=father["first"], middle=father["middle"], suffix="JR",
                       dob=son_dob, addresses=[father["addresses"][-1]])  # type: ignore[index]
        elif roll < 0.12 and people.rows:  # namesake of an earlier person: same names, different DOB/address
            other = people.rows[int(rng.integers(len(people.rows)))]
            people.add(last=other["last"], first=other["first"])
        else:
            people.add()
    return people.rows


def _case(rng: np.random.Generator, text: str) -> str:
    roll = rng.random()
    if roll < 0.55:
        return text
    if roll < 0.85:
        return text.title()
    if roll < 0.95:
        return text.lower()
    return "".join(c.lower() if rng.random() < 0.5 else c for c in text)


def _spaces(rng: np.random.Generator, text: str) -> str:
    if rng.random() < 0.15:
        text = " " * int(rng.integers(1, 3)) + text + " " * int(rng.integers(0, 3))
    if rng.random() < 0.05:
        text = text.replace(" ", "  ")
    return text


def _typo(rng: np.random.Generator, name: str) -> str:
    if len(name) < 4:
        return name
    i = int(rng.integers(1, len(name) - 1))
    kind = rng.integers(4)
    letter = chr(int(rng.integers(65, 91)))
    if kind == 0:
        return name[:i] + letter + name[i + 1:]
    if kind == 1:
        return name[:i] + name[i + 1:]
    if kind == 2:
        return name[:i] + letter + name[i:]
    return name[:i] + name[i + 1] + name[i] + name[i + 2:]


def _street(rng: np.random.Generator, a: dict[str, object]) -> str:
    parts = [str(a["number"])]
    direction = int(a["direction"])  # type: ignore[call-overload]
    if direction >= 0:
        parts.append(DIRECTIONS[direction][int(rng.integers(2))] + ("." if rng.random() < 0.1 else ""))
    parts.append(str(a["name"]))
    parts.append(STREET_TYPES[int(a["type"])][int(rng.integers(2))])  # type: ignore[call-overload]
    if a["unit"] and rng.random() < 0.7:
        parts.append(("APT ", "Apt. ", "#", "UNIT ")[int(rng.integers(4))] + str(a["unit"]))
    return _case(rng, ", ".join([" ".join(parts[:-1]), parts[-1]]) if rng.random() < 0.1 else " ".join(parts))


def _mention(rng: np.random.Generator, p: dict[str, object], index: int) -> dict[str, object]:
    possessor = rng.random() < 0.35
    first = str(p["first"])
    nicks = FIRST_NAMES.get(first, ())
    if nicks and rng.random() < 0.15:
        first = nicks[int(rng.integers(len(nicks)))]
    elif rng.random() < 0.05:
        first = _typo(rng, first)
    middle = None
    if p["middle"] and not possessor:
        roll = rng.random()
        middle = str(p["middle"]) if roll < 0.45 else (str(p["middle"])[0] + ("." if roll < 0.55 else "")
                                                        if roll < 0.8 else None)
    elif p["middle"] and rng.random() < 0.05:
        first = f"{first} {str(p['middle'])[0]}"  # initial spilled into the first-name field
    last, suffix = str(p["last"]), None
    if p["suffix"]:
        roll = rng.random()
        spelled = {"JR": ("JR", "JR.", "Jr", "JUNIOR"), "SR": ("SR", "SR.", "Sr", "SENIOR")}[str(p["suffix"])]
        text = spelled[int(rng.integers(len(spelled)))]
        if roll < 0.6 and not possessor:
            suffix = text
        elif roll < 0.8:
            last = f"{last} {text}"
    dob = p["dob"] if rng.random() >= 0.2 else None
    if isinstance(dob, dt.date) and dob.day <= 12 and dob.day != dob.month and rng.random() < 0.02:
        dob = dob.replace(month=dob.day, day=dob.month)
    addresses: list[dict[str, object]] = p["addresses"]  # type: ignore[assignment]
    a = addresses[-1] if len(addresses) == 1 or rng.random() < 0.6 else addresses[0]
    street = _street(rng, a) if rng.random() >= 0.03 else None
    zip_code = str(a["zip"]) + (f"-{rng.integers(0, 10000):04d}" if rng.random() < 0.15 else "")
    return {"mention_id": f"m{index:08d}:{'possessor' if possessor else 'purchaser'}",
            "last_name": _spaces(rng, _case(rng, last)), "first_name": _spaces(rng, _case(rng, first)),
            "middle_name": _case(rng, middle) if middle else None, "suffix": suffix, "dob": dob,
            "street": _spaces(rng, street) if street else None, "city": _case(rng, str(a["city"])),
            "state": str(a["state"]), "zip": zip_code if rng.random() >= 0.05 else None, "true_person": p["id"]}


def make_mentions(n_people: int, seed: int = 0) -> pd.DataFrame:
    """Labelled mentions of about ``n_people`` people (each mentioned 1 to 20 times, about 2.7 on average)."""
    rng = np.random.default_rng(seed)
    people = make_people(n_people, rng)
    counts = np.minimum(1 + rng.geometric(0.55, size=len(people)) - 1 + (rng.random(len(people)) < 0.3) *
                        rng.integers(1, 6, size=len(people)), 20)
    rows = []
    for p, k in zip(people, counts, strict=True):
        for _ in range(int(k)):
            rows.append(_mention(rng, p, len(rows)))
    frame = pd.DataFrame(rows)
    return frame.astype({c: object for c in frame.columns if c != "true_person"})
