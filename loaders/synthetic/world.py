"""The world under construction: registries of guns, recoveries, multiple-sale reports and NIBIN leads that the
scheme modules fill, plus the shared helpers they use to pick dealers, places and people."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from loaders.synthetic.firearms import Catalogue
from loaders.synthetic.geography import Geography
from loaders.synthetic.params import Params
from loaders.synthetic.people import People
from loaders.synthetic.tables import Table

HANDGUN_TYPES = ("PISTOL", "REVOLVER", "DERRINGER")


def guns_table() -> Table:
    return Table({"model": -1, "dealer": -1, "purchase_day": -1, "purchaser": -1, "ms_report": -1,
                  "batch_number": -1, "batch": -1})


def traces_table() -> Table:
    return Table({"gun": -1, "recovery_day": -1, "place": -1, "foreign_city": "", "country": "US",
                  "possessor": -1, "status": "COMPLETED", "obliterated": False, "crime": "POSSESSION",
                  "scheme": "background"})


def ms_table() -> Table:
    return Table({"dealer": -1, "sale_day": -1, "purchaser": -1, "form": "3310.4"})


def nibin_table() -> Table:
    return Table({"trace_a": -1, "trace_b": -1, "lead_day": -1, "status": "UNCONFIRMED", "group": -1})


@dataclass
class World:
    rng: np.random.Generator
    params: Params
    geo: Geography
    dealers: pd.DataFrame
    catalogue: Catalogue
    people: People = field(default_factory=People)
    guns: Table = field(default_factory=guns_table)
    traces: Table = field(default_factory=traces_table)
    ms: Table = field(default_factory=ms_table)
    nibin: Table = field(default_factory=nibin_table)
    truth: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    city_index: dict[tuple[str, str], int] = field(default_factory=dict)
    corrupt_entries: dict[int, dict[str, Any]] = field(default_factory=dict)
    households: list[tuple[int, int]] = field(default_factory=list)  # (person, takes the address of person)
    _selling: dict[str, np.ndarray] = field(default_factory=dict)
    _place_p: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        places = self.geo.places
        self.city_index = {(s, c.upper()): i for i, (s, c) in enumerate(zip(places["state"], places["city"],
                                                                             strict=True))}
        self._handgun = self.catalogue.models["weapon_type"].isin(HANDGUN_TYPES).to_numpy()
        w = self.catalogue.models["weight"].to_numpy()
        self._hand_cdf = np.cumsum(w * self._handgun) / (w * self._handgun).sum()
        self._long_cdf = np.cumsum(w * ~self._handgun) / (w * ~self._handgun).sum()

    # --- places and dealers ------------------------------------------------------------------------------------
    def place_of(self, state: str, city: str) -> int:
        return self.city_index[(state, city.upper())]

    def _places(self, state: str, n: int, weight: str) -> np.ndarray:
        cand = self.geo.state_places[state]
        p = self._place_p.get((state, weight))
        if p is None:
            w = self.geo.places[weight].to_numpy()[cand]
            p = self._place_p[(state, weight)] = w / w.sum()
        return cand[self.rng.choice(len(cand), size=n, p=p)]

    def home_places(self, state: str, n: int) -> np.ndarray:
        return self._places(state, n, "home_weight")

    def crime_places(self, state: str, n: int) -> np.ndarray:
        return self._places(state, n, "crime_weight")

    def selling_dealers(self, state: str) -> np.ndarray:
        """Selling licensees of ``state`` listed in both monthly lists (cached)."""
        if state not in self._selling:
            d = self.dealers
            mask = (d["state"] == state) & d["selling"] & d["in_current"] & d["in_prev"]
            self._selling[state] = np.flatnonzero(mask.to_numpy())
        return self._selling[state]

    def apply_households(self) -> None:
        if self.households:
            target, source = (np.array(x, dtype=np.int64) for x in zip(*self.households, strict=True))
            self.people.share_address(target, source)

    def pick_dealers(self, state: str, k: int, *, tier_share: float = 0.4) -> np.ndarray:
        cand = self.selling_dealers(state)
        tier = self.dealers["tier"].to_numpy()[cand]
        w = self.dealers["weight"].to_numpy()[cand].copy()
        if tier.any() and self.rng.random() < tier_share:
            w = np.where(tier, 1.0, 0.0)
        k = min(k, int((w > 0).sum()))
        return cand[self.rng.choice(len(cand), size=k, replace=False, p=w / w.sum())]

    # --- guns and sales ----------------------------------------------------------------------------------------
    def models(self, n: int, handgun_share: float = 1.0) -> np.ndarray:
        """Catalogue rows for ``n`` guns, handguns with probability ``handgun_share``, by make popularity."""
        hand = self.rng.random(n) < handgun_share
        draw = self.rng.random(n)
        hand_pick = np.minimum(np.searchsorted(self._hand_cdf, draw, side="right"), len(self._hand_cdf) - 1)
        long_pick = np.minimum(np.searchsorted(self._long_cdf, draw, side="right"), len(self._long_cdf) - 1)
        return np.where(hand, hand_pick, long_pick)

    def is_handgun(self, models: np.ndarray) -> np.ndarray:
        return self._handgun[models]

    def buy(self, dealer: int, day: int, purchaser: int, models: np.ndarray, *, report: bool = True) -> np.ndarray:
        """One purchase visit; two or more handguns make a multiple-sale report (Form 3310.4)."""
        ms_id = -1
        if report and int(self.is_handgun(models).sum()) >= 2:
            ms_id = int(self.ms.add(1, dealer=dealer, sale_day=day, purchaser=purchaser)[0])
        n = len(models)
        hand = self.is_handgun(models)
        return self.guns.add(n, model=models, dealer=dealer, purchase_day=day, purchaser=purchaser,
                             ms_report=np.where(hand, ms_id, -1))

    def ttc_days(self, n: int, mean_days: float, minimum: int = 2) -> np.ndarray:
        return minimum + self.rng.exponential(mean_days, n).astype(np.int64)

    def in_window(self, days: np.ndarray) -> np.ndarray:
        return (days >= self.params.recovery_start) & (days <= self.params.recovery_end)
