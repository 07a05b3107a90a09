"""Generator parameters: the scales and every calibration target, each with its public source.

The sources are cited in ``docs/simulation.md``; ``truth.json`` records the parameters a world was built with.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from graph.errors import InvalidInput

EPOCH = dt.date(1970, 1, 1)


def day(year: int, month: int, dom: int) -> int:
    """Days since 1970-01-01 (the integer date unit used throughout the generator)."""
    return (dt.date(year, month, dom) - EPOCH).days


@dataclass(frozen=True)
class Calibration:
    # ATF NFCTA Vol. II (2017–2021): ~25% of traced crime guns recovered within 1 year of retail sale (9% within
    # 3 months, 6% 3–7 months, 9% 7–12 months), 46% within 3 years; average time-to-crime about 6 years.
    ttc_within_3_months: float = 0.09
    ttc_within_7_months: float = 0.15
    ttc_within_1_year: float = 0.25
    ttc_within_3_years: float = 0.46
    ttc_mean_years: float = 6.0
    ttc_max_years: float = 40.0
    # ATF "Commerce in Firearms in the United States" (2000), p. 23: 1.2% of dealers -> 57.4% of crime gun traces.
    top_dealer_fraction: float = 0.012
    top_dealer_trace_share: float = 0.574
    # NFCTA Vol. III (2024): straw purchasing in ~40% of trafficking investigations, ~11 firearms per straw case.
    straw_case_share: float = 0.40
    guns_per_straw_case: float = 11.0
    # Other trafficking channels (same volume): unlicensed dealing and corrupt-dealer diversion share the rest.
    unlicensed_case_share: float = 0.35
    # ATF trace outcomes: most traces reach a retail purchaser; the rest stop at the dealer or find no record.
    status_incomplete: float = 0.08
    status_no_record: float = 0.10
    obliterated_share: float = 0.03
    foreign_recovery_share: float = 0.004
    possessor_is_purchaser: float = 0.15
    possessor_missing: float = 0.12


@dataclass(frozen=True)
class Scale:
    name: str
    traces: int
    dealers: int
    trafficking_cases_per_1000_traces: float = 12.0
    collectors_per_1000_traces: float = 2.0
    theft_victims_per_1000_traces: float = 4.0
    background_multiple_sale_reports_per_trace: float = 0.12
    serial_batches: int = 3
    chunk_rows: int = 200_000


SCALES: dict[str, Scale] = {
    "small": Scale("small", traces=5_000, dealers=4_000, serial_batches=3),
    "state": Scale("state", traces=50_000, dealers=20_000, serial_batches=8),
    # 78,787 = dealing FFLs (types 01, 02, 07, 08) in the 2023 ATF lists, the real national count.
    "national": Scale("national", traces=1_000_000, dealers=78_787, serial_batches=40),
}


@dataclass(frozen=True)
class Scenario:
    """Assumptions about how trafficking and its look-alikes leave records, varied by the sensitivity study
    (``bench/bench_sensitivity.py``, ``docs/accuracy.md``). The defaults are the simulator's original
    assumptions; a world built with them is byte-identical to one built before these knobs existed.

    * ``ring_size``: straw purchasers per ring, drawn uniformly from ``[lo, hi]``.
    * ``joint_purchase_share``: chance that a second straw buys at the same counter on the same day.
    * ``household_share``: chance that two straws of a ring share an address.
    * ``purchase_window_days``: a ring's purchases spread over this many days (purchase spacing).
    * ``straw_guns_per_visit``: most guns a straw buys per visit; 1 = never two handguns at once, so no
      multiple-sale report (straws who know the reporting rule).
    * ``ring_possessor_recorded``: share of a ring's recovered guns whose possessor is recorded.
    * ``straw_ttc_mean_days``: mean time from a straw purchase to the gun's recovery.
    * ``ring_dealers``: distinct dealers a ring buys from, drawn from ``[lo, hi]``.
    * ``corrupt_dealer_big``: corrupt dealers are drawn from the high-volume tier (they hide in volume).
    * ``nickname_share`` / ``name_typo_share``: records that give a nickname / one mistyped letter of the
      first name.
    """

    ring_size: tuple[int, int] = (2, 6)
    joint_purchase_share: float = 0.35
    household_share: float = 0.35
    purchase_window_days: int = 240
    straw_guns_per_visit: int = 3
    ring_possessor_recorded: float = 0.9
    straw_ttc_mean_days: float = 150.0
    ring_dealers: tuple[int, int] = (1, 3)
    corrupt_dealer_big: bool = False
    nickname_share: float = 0.08
    name_typo_share: float = 0.0

    def changed(self) -> dict[str, Any]:
        """The knobs that differ from the defaults (what ``truth.json`` records)."""
        base = asdict(Scenario())
        return {k: v for k, v in asdict(self).items() if v != base[k]}


@dataclass(frozen=True)
class Params:
    scale: Scale
    seed: int
    calibration: Calibration = field(default_factory=Calibration)
    list_date: int = day(2024, 1, 15)  # the "current" monthly FFL list
    prev_list_date: int = day(2023, 12, 15)  # the list one month earlier
    recovery_start: int = day(2019, 1, 1)
    recovery_end: int = day(2023, 12, 31)
    us_date_share: float = 0.35  # rows written MM/DD/YYYY (eTrace export style) instead of ISO
    dob_missing_share: float = 0.12
    malformed_share: float = 0.005
    renewed_dealer_share: float = 0.06  # listed one month earlier under the previous expiry code
    old_license_quote_share: float = 0.5  # traces of a renewed dealer that quote the old full number
    scenario: Scenario = field(default_factory=Scenario)

    def to_json(self) -> dict[str, Any]:
        extra = {"scenario": self.scenario.changed()} if self.scenario.changed() else {}
        return {**extra, "seed": self.seed, "scale": asdict(self.scale), "calibration": asdict(self.calibration),
                "list_date": str(EPOCH + dt.timedelta(days=self.list_date)),
                "prev_list_date": str(EPOCH + dt.timedelta(days=self.prev_list_date)),
                "recovery_window": [str(EPOCH + dt.timedelta(days=self.recovery_start)),
                                    str(EPOCH + dt.timedelta(days=self.recovery_end))],
                "us_date_share": self.us_date_share, "dob_missing_share": self.dob_missing_share,
                "malformed_share": self.malformed_share, "renewed_dealer_share": self.renewed_dealer_share,
                "old_license_quote_share": self.old_license_quote_share}


def params_for(scale: str, seed: int) -> Params:
    if scale not in SCALES:
        raise InvalidInput(f"unknown scale {scale!r}: use one of {', '.join(SCALES)}")
    if seed < 0 or seed >= 2**63:
        raise InvalidInput("seed must be a non-negative 64-bit integer")
    return Params(scale=SCALES[scale], seed=seed)
