"""Plain data behind the reports: what :mod:`exports.reports.gather` reads from a store and the renderers draw.

Nothing here touches a store, so reports can be rendered (and tested) from hand-made values.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

BASIS_LABELS = {"traces": "the trace records in the store",
                "atf_table": "ATF's published table of firearms sourced and recovered by state"}


@dataclass(frozen=True)
class Provenance:
    """The analysis run a report cites and how fresh the data behind it is."""

    run_id: str | None
    run_finished: datetime | None = None
    code_version: str | None = None
    seed: int | None = None
    last_load: datetime | None = None
    last_recovery: date | None = None
    generated_at: datetime | None = None


@dataclass(frozen=True)
class Corridor:
    source: str
    destination: str
    source_name: str
    destination_name: str
    source_state: str | None
    destination_state: str | None
    year: int
    firearms: int
    expected: float | None
    score: float | None
    z: float | None = None
    trend: str | None = None
    median_ttc_days: float | None = None
    source_lon: float | None = None
    source_lat: float | None = None
    destination_lon: float | None = None
    destination_lat: float | None = None
    basis: str = "traces"
    direction: str | None = None  # inbound (into the region) | outbound (out of it) | within; None: no region

    @property
    def pair(self) -> tuple[str, str]:
        return self.source, self.destination

    @property
    def label(self) -> str:
        return f"{self.source_name} → {self.destination_name}"

    def ends(self, level: str, *, short: bool = False) -> tuple[str, str]:
        """Display names of both ends: the state (its code when ``short``) at state level, ``City, ST`` at city
        level."""
        if level == "state":
            if short:
                return (self.source_state or self.source_name, self.destination_state or self.destination_name)
            return self.source_name, self.destination_name

        def city(name: str, state: str | None) -> str:
            shown = name.title() if name.isupper() else name
            return f"{shown}, {state}" if state else shown

        return city(self.source_name, self.source_state), city(self.destination_name, self.destination_state)


@dataclass(frozen=True)
class Hub:
    key: str
    name: str
    state: str | None
    lon: float
    lat: float
    pagerank: float
    betweenness: float | None = None


@dataclass(frozen=True)
class CorridorReport:
    """One region × period × level. ``corridors`` are ranked by score (strongest first); ``series`` holds the
    firearms per year of the charted corridors over every year in ``years``; ``ttc_days`` the time-to-crime of
    each interstate recovery into or out of the region in the period."""

    region: tuple[str, ...]
    year: int | None
    level: str
    corridors: list[Corridor]
    years: list[int]
    series: dict[tuple[str, str], list[tuple[int, int]]]
    ttc_days: list[int]
    hubs: list[Hub]
    provenance: Provenance
    tlp: str = "amber"
    basis: str = "traces"
    bases: tuple[str, ...] = ()  # every basis the store holds at this level

    @property
    def has_ttc(self) -> bool:
        """Time-to-crime per gun exists only where the corridors are counted from trace records."""
        return self.basis == "traces"

    @property
    def basis_label(self) -> str:
        return BASIS_LABELS.get(self.basis, f"the published table {self.basis.removeprefix('table:')}")

    @property
    def inbound(self) -> list[Corridor]:
        return [c for c in self.corridors if c.direction in ("inbound", "within")]

    @property
    def outbound(self) -> list[Corridor]:
        return [c for c in self.corridors if c.direction == "outbound"]

    @property
    def region_label(self) -> str:
        return ", ".join(self.region) if self.region else "all states"

    @property
    def period_label(self) -> str:
        if self.year is not None:
            return str(self.year)
        return f"{self.years[0]}–{self.years[-1]}" if self.years else "no years"

    @property
    def title(self) -> str:
        return f"Trafficking corridors ({self.level} level): {self.region_label}, {self.period_label}"

    @property
    def slug(self) -> str:
        region = "-".join(self.region) if self.region else "ALL"
        basis = "" if self.basis == "traces" else "_" + "".join(ch if ch.isalnum() else "-" for ch in self.basis)
        return f"corridors_{self.level}_{region}_{self.year if self.year is not None else 'all'}{basis}"


@dataclass(frozen=True)
class Indicator:
    name: str
    points: float | None
    value: Any


def parse_indicators(text: str | None) -> list[Indicator]:
    """The JSON list ``analyze`` writes on Person/Dealer (``indicator``, ``points``, ``value``); bad JSON -> []."""
    if not text:
        return []
    try:
        items = json.loads(text)
    except (TypeError, ValueError):
        return []
    return [Indicator(str(i.get("indicator")), i.get("points"), i.get("value"))
            for i in items if isinstance(i, dict) and i.get("indicator")]


@dataclass(frozen=True)
class Member:
    person_key: str
    name: str
    dob: date | None
    place: str
    straw_score: float | None
    straw_rank: int | None
    indicators: list[Indicator] = field(default_factory=list)


@dataclass(frozen=True)
class Purchase:
    person_key: str
    firearm_key: str
    purchase_date: date | None
    dealer_key: str | None
    dealer_name: str
    dealer_place: str
    dealer_state: str | None
    dealer_lon: float | None
    dealer_lat: float | None
    firearm: str
    multiple_sale: bool


@dataclass(frozen=True)
class RecoveryEvent:
    trace_id: str
    firearm_key: str
    purchaser_key: str
    recovery_date: date | None
    place: str
    state: str | None
    lon: float | None
    lat: float | None
    ttc_days: int | None
    crime_code: str | None
    possessor_key: str | None


@dataclass(frozen=True)
class CaseReport:
    network_id: str
    size: int
    score: float | None
    algorithm: str | None
    members: list[Member]
    purchases: list[Purchase]
    recoveries: list[RecoveryEvent]
    provenance: Provenance
    tlp: str = "red"

    @property
    def title(self) -> str:
        return f"Network case report: {self.network_id}"

    @property
    def slug(self) -> str:
        return "case_" + "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in self.network_id)


def finite(value: Any) -> float | None:
    """A float, or None for missing/NaN/inf values."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
