"""Trace requests out: the recoveries not yet traced, as the fields of ATF Form 3312.1.

ATF Form 3312.1, *National Tracing Center Trace Request* (the paper twin of an eTrace submission), asks the
requesting agency for: the requester (agency, ORI), the crime code, the firearm (manufacturer, model, caliber,
type, serial number, importer, country of manufacture), the possessor (name, date of birth) and the recovery
(date, address, city, state, ZIP, country). This module writes one row per firearm with those fields, so an
agency can submit the guns tracegraph holds but the NTC has not traced.

*Not yet traced* means: the recovered firearm has no selling dealer (``SOLD``) and no recorded purchase
(``PURCHASED``) in the graph: a trace that came back ``NO RECORD``, an obliterated serial, a recovery entered from
a lost/stolen or partner record only, or a recovery abroad not traced yet. ``--since`` keeps recoveries on or after
a date. The requesting agency columns are placeholders the agency fills in (``requesting_agency_*``): the ORI
of the recovering agency is copied when the trace record had one.

Personal data (possessor name and date of birth) goes to the CSV only; the command prints counts, never rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from exports.csv_safe import SafeWriter
from graph.store import GraphStore

# (column in the CSV, Form 3312.1 field it fills)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("requesting_agency_ori", "Requesting agency ORI"),
    ("requesting_agency_name", "Requesting agency name (placeholder: filled in by the submitting agency)"),
    ("requester_name", "Requesting officer (placeholder)"),
    ("agency_case_number", "Agency case/incident number (tracegraph trace id as a reference)"),
    ("crime_code", "Crime code"),
    ("recovery_date", "Recovery date"),
    ("recovery_address", "Recovery address"),
    ("recovery_city", "Recovery city"),
    ("recovery_state", "Recovery state"),
    ("recovery_zip", "Recovery ZIP"),
    ("recovery_country", "Recovery country"),
    ("firearm_manufacturer", "Manufacturer"),
    ("firearm_model", "Model"),
    ("firearm_caliber", "Caliber"),
    ("firearm_type", "Type"),
    ("firearm_serial_number", "Serial number"),
    ("serial_obliterated", "Serial number obliterated (Y/N)"),
    ("firearm_importer", "Importer"),
    ("country_of_manufacture", "Country of manufacture"),
    ("possessor_last_name", "Possessor last name"),
    ("possessor_first_name", "Possessor first name"),
    ("possessor_dob", "Possessor date of birth"),
    ("reported_stolen", "Firearm reported lost/stolen (Y/N)"),
)
FIELDS = tuple(name for name, _ in COLUMNS)


def untraced(store: GraphStore, since: date | None = None) -> pd.DataFrame:
    """One row per untraced recovered firearm (one possessor kept per recovery), columns :data:`FIELDS`."""
    raw = store.query("stolen_untraced").df()
    if raw.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in FIELDS})
    raw = raw.drop_duplicates(["trace_id", "firearm_key"]).reset_index(drop=True)
    if since is not None:
        raw = raw[pd.to_datetime(raw["recovery_date"]) >= pd.Timestamp(since)]
    frame = pd.DataFrame({
        "requesting_agency_ori": raw["agency_ori"], "requesting_agency_name": raw["agency_name"],
        "requester_name": "", "agency_case_number": raw["trace_id"], "crime_code": raw["crime_code"],
        "recovery_date": raw["recovery_date"], "recovery_address": raw["recovery_street"],
        "recovery_city": raw["recovery_city"], "recovery_state": raw["recovery_state"],
        "recovery_zip": raw["recovery_zip"], "recovery_country": raw["recovery_country"],
        "firearm_manufacturer": raw["manufacturer"], "firearm_model": raw["model"],
        "firearm_caliber": raw["caliber"], "firearm_type": raw["weapon_type"],
        "firearm_serial_number": raw["serial_number"],
        "serial_obliterated": raw["obliterated"].map({True: "Y", False: "N"}),
        "firearm_importer": raw["importer"], "country_of_manufacture": raw["country_of_manufacture"],
        "possessor_last_name": raw["possessor_last_name"], "possessor_first_name": raw["possessor_first_name"],
        "possessor_dob": raw["possessor_dob"],
        "reported_stolen": raw["reported_stolen"].map({True: "Y"}).fillna("N"),
    })
    return frame.reset_index(drop=True)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = SafeWriter(handle)
        writer.writerow(FIELDS)
        writer.writerows(_cells(frame))


def _cells(frame: pd.DataFrame) -> Iterable[list[str]]:
    for row in frame[list(FIELDS)].itertuples(index=False):
        yield [_text(v) for v in row]


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return ""
    if hasattr(value, "isoformat"):
        return str(value.isoformat())[:10]
    return str(value)


def summary(frame: pd.DataFrame) -> dict[str, Any]:
    """Counts only (no personal data): rows, by recovery country, obliterated serials, with a possessor."""
    return {
        "firearms": len(frame),
        "by_recovery_country": {str(k): int(v) for k, v in
                                frame["recovery_country"].fillna("US").value_counts().sort_index().items()},
        "serial_obliterated": int((frame["serial_obliterated"] == "Y").sum()),
        "with_possessor": int(frame["possessor_last_name"].notna().sum()),
        "reported_stolen": int((frame["reported_stolen"] == "Y").sum()),
    }
