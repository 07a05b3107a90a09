"""Which cities count as crime hotspots: a stated rule, not "every city that has a rate".

The hotspots loader (and ``tracegraph build-hotspots``) puts a violent-crime rate on city Locations; the 68 large
jurisdictions of the UCR compilation nearly all have one, so "has a rate" would make every large city a hotspot
(Virginia Beach, 138 violent crimes per 100,000 in 2015, against a national 373). A :class:`HotspotRule` picks:

* ``above-national`` (default; ``above-national:1.5`` for 1.5 times): the city's violent-crime rate is above the
  national rate of its data year (FBI UCR national row of the shipped compilation; the nearest year when the data
  year is outside 1975-2015, said so in the description);
* ``top:N``: the N cities with the highest rates;
* ``rate:X``: a rate of at least X per 100,000.

The rule is set with ``--hotspot-rule`` on the commands that use hotspots, or ``TRACEGRAPH_HOTSPOT_RULE``, and its
description travels with every output that uses it (``dealers --near-hotspots``, dealer profiles).

>>> rule = parse_rule("top:2")
>>> cities = pd.DataFrame({"name": ["A", "B", "C"], "violent_crime_rate_per_100k": [900.0, 100.0, 500.0],
...                        "crime_data_year": [2015, 2015, 2015]})
>>> select(cities, rule)["name"].tolist()
['A', 'C']
>>> select(cities, parse_rule("above-national"))["name"].tolist()  # national 2015: 372.6
['A', 'C']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from graph.errors import InvalidInput

DEFAULT_RULE = "above-national"
RATE = "violent_crime_rate_per_100k"


@dataclass(frozen=True)
class HotspotRule:
    kind: str            # above-national | top | rate
    value: float         # factor (above-national), N (top), rate (rate)

    @property
    def text(self) -> str:
        if self.kind == "top":
            return f"top:{int(self.value)}"
        if self.kind == "rate":
            return f"rate:{self.value:g}"
        return "above-national" if self.value == 1.0 else f"above-national:{self.value:g}"


def parse_rule(text: str | None) -> HotspotRule:
    """``above-national[:FACTOR]`` | ``top:N`` | ``rate:X`` (one clear error otherwise)."""
    spec = (text or DEFAULT_RULE).strip().lower()
    found = re.fullmatch(r"(above-national|top|rate)(?::(\d+(?:\.\d+)?))?", spec)
    if not found or (found.group(1) != "above-national" and found.group(2) is None):
        raise InvalidInput(f"hotspot rule {text!r}: use above-national[:FACTOR], top:N or rate:X "
                           "(violent crimes per 100,000)")
    kind, value = found.group(1), float(found.group(2) or 1.0)
    if value <= 0 or (kind == "top" and value != int(value)):
        raise InvalidInput(f"hotspot rule {text!r}: the number must be positive (a whole number for top:N)")
    return HotspotRule(kind, value)


@lru_cache(maxsize=1)
def national_rates() -> dict[int, float]:
    """FBI UCR national violent-crime rate per 100,000 by year (the compilation's "National" rows)."""
    from loaders.domain.reference import ucr_city_crime

    ucr = ucr_city_crime()
    rows = ucr[ucr["department_name"].astype(str).str.strip().str.upper() == "NATIONAL"]
    return {int(y): float(r) for y, r in zip(rows["year"], rows["violent_per_100k"], strict=True) if pd.notna(r)}


def national_rate(year: int | None) -> tuple[float, int]:
    """The national rate for ``year`` and the year it is from (the nearest available one)."""
    rates = national_rates()
    wanted = int(year) if year is not None and pd.notna(year) else max(rates)
    nearest = min(rates, key=lambda y: (abs(y - wanted), -y))
    return rates[nearest], nearest


def select(cities: pd.DataFrame, rule: HotspotRule) -> pd.DataFrame:
    """The rows of ``cities`` (with a violent-crime rate and ``crime_data_year``) that are hotspots by ``rule``."""
    rated = cities[cities[RATE].notna()]
    if rule.kind == "top":
        return rated.sort_values([RATE, "name"], ascending=[False, True], kind="stable").head(int(rule.value))
    if rule.kind == "rate":
        return rated[rated[RATE] >= rule.value]
    threshold = [rule.value * national_rate(y)[0] for y in rated["crime_data_year"]]
    return rated[rated[RATE].to_numpy(float) > pd.Series(threshold, index=rated.index, dtype=float).to_numpy()]


def describe(rule: HotspotRule, cities: pd.DataFrame, chosen: pd.DataFrame) -> str:
    """The rule in words with what it picked, e.g. for a caption or a stderr line."""
    picked = f"{len(chosen)} of {len(cities)} cities with a rate"
    if rule.kind == "top":
        return f"hotspots: the {int(rule.value)} cities with the highest violent-crime rates ({picked})"
    if rule.kind == "rate":
        return f"hotspots: violent-crime rate at least {rule.value:g} per 100,000 ({picked})"
    years: list[int | None] = [*sorted({int(y) for y in cities["crime_data_year"].dropna()})] or [None]
    parts = []
    for year in years:
        rate, used = national_rate(year)
        parts.append(f"{rate:g} in {used}" + ("" if year is None or used == year else f" (for {year})"))
    times = "" if rule.value == 1.0 else f"{rule.value:g} times "
    return (f"hotspots: violent-crime rate above {times}the national rate for the data year "
            f"(FBI UCR: {', '.join(parts)} per 100,000; {picked})")
