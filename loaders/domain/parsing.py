"""Field parsers shared by every loader: text, dates, FFL license numbers, serials, manufacturers, states.

Everything here works on whole pandas columns (vectorised; a per-value Python function runs only over the
*distinct* values of a column, which are few for manufacturers and states). Each ``parse_*`` returns the parsed
column plus a boolean "bad" mask: a value that was given but cannot be parsed. Empty stays empty (None / NaT)
and is never "bad"; whether a field is required is the loader's decision.

Normalisation rules (documented here once, used for keys):

* text: trimmed; empty -> missing. Matching is case-insensitive; values are stored as given (trimmed).
* dates: ISO ``YYYY-MM-DD`` (a trailing time is ignored) or US ``MM/DD/YYYY`` (one- or two-digit month/day,
  four-digit year); years 1900-2100.
* serial numbers: upper case, every character other than A-Z and 0-9 removed (spaces, dashes, dots, slashes);
  placeholders that mean "no serial" (NONE, UNKNOWN, N/A, OBLITERATED, ...) normalise to empty.
* manufacturers: upper case, ``&`` kept, other punctuation -> space, spaces collapsed, a trailing corporate
  suffix (INC, LLC, CORP, CO, ...) dropped, then common aliases folded (``S&W``, ``SMITH AND WESSON``,
  ``SMITH & WESSON INC`` -> ``SMITH & WESSON``; ``STURM RUGER`` -> ``RUGER``; ...).
* FFL license numbers: ``R-DD-CCC-TT-YM-SSSSS`` with or without dashes/spaces; the dealer's identity is
  ``R-DD-SSSSS`` (stable across renewals). The short form ``R-DD-SSSSS`` is accepted where only the identity
  is needed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from loaders.domain import reference

WEAPON_TYPES = ("PISTOL", "REVOLVER", "RIFLE", "SHOTGUN", "DERRINGER", "MACHINE GUN", "OTHER")
_WEAPON_ALIASES = {"MACHINEGUN": "MACHINE GUN", "MACHINE-GUN": "MACHINE GUN", "HANDGUN": None}

TRUE_WORDS = frozenset({"Y", "YES", "TRUE", "T", "1"})
FALSE_WORDS = frozenset({"N", "NO", "FALSE", "F", "0"})


# --- text ------------------------------------------------------------------------------------------------------

def clean_text(column: pd.Series) -> pd.Series:
    """Trim; empty -> missing. Returns a pandas ``str`` column (Arrow-backed: string work stays vectorised)."""
    text = column if column.dtype == "str" else column.astype("str")
    text = text.str.strip()
    return text.where(text.notna() & (text != ""))


def text(frame: pd.DataFrame, name: str) -> pd.Series:
    """Column ``name`` of a raw batch as clean text (see :func:`clean_text`); all missing if the file lacks it."""
    if name in frame.columns:
        return clean_text(frame[name])
    return pd.Series(np.nan, index=frame.index, dtype="str")


def map_distinct(column: pd.Series, func: Callable[[str], Any]) -> pd.Series:
    """Apply ``func`` to each distinct non-null value once and map the results back (None stays None)."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    table = np.array([*(func(value) for value in uniques), None], dtype=object)
    mapped = table[np.where(codes < 0, len(uniques), codes)]
    mapped[pd.isna(mapped)] = None
    return pd.Series(mapped, index=column.index, dtype=object)


def on_distinct(func: Callable[..., Any]) -> Callable[..., Any]:
    """Run a column parser over the column's *distinct* values only and spread the result back by row.

    Dates, states, license numbers and ZIPs repeat heavily in a batch (a few thousand distinct values per 100k
    rows), so parsing the uniques is many times cheaper; a column of mostly distinct values is parsed as it is.
    The parser must be row-wise (each output row depends only on its input row); missing values are parsed
    once, as a trailing None."""

    @functools.wraps(func)
    def wrapper(column: pd.Series, *args: Any, **kwargs: Any) -> Any:
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        if len(uniques) * 2 >= len(column):
            return func(column, *args, **kwargs)
        distinct = pd.Series([*np.asarray(uniques, dtype=object), None], dtype=object)
        pick = np.where(codes < 0, len(uniques), codes)
        result = func(distinct, *args, **kwargs)
        if isinstance(result, tuple):
            return tuple(_spread(part, pick, column.index) for part in result)
        return _spread(result, pick, column.index)

    return wrapper


def _spread(part: Any, pick: np.ndarray, index: pd.Index) -> Any:
    return part.iloc[pick].set_axis(index, axis=0)


# --- dates -----------------------------------------------------------------------------------------------------

_ISO = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})(?:[T ].*)?$")
_US = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")


@on_distinct
def parse_dates(column: pd.Series) -> tuple[pd.Series, pd.Series]:
    """ISO or MM/DD/YYYY -> ``datetime64`` (NaT when empty or bad) and the mask of bad non-empty values."""
    text = clean_text(column).astype("str")
    present = text.notna()
    iso_part = text.str.extract(_ISO, expand=False)
    iso = pd.to_datetime(iso_part, format="%Y-%m-%d", errors="coerce")
    us = pd.to_datetime(text.where(text.str.match(_US, na=False)), format="%m/%d/%Y", errors="coerce")
    parsed = iso.fillna(us)
    years = parsed.dt.year
    parsed = parsed.where((years >= 1900) & (years <= 2100))
    bad = present & parsed.isna()
    return parsed, bad.astype(bool)


def parse_date(value: str | None) -> date | None:
    """One value (same rules as :func:`parse_dates`); raises ValueError when given but unparseable."""
    parsed, bad = parse_dates(pd.Series([value], dtype=object))
    if bool(bad.iloc[0]):
        raise ValueError(f"not a date (use YYYY-MM-DD or MM/DD/YYYY): {value!r}")
    stamp = parsed.iloc[0]
    return None if pd.isna(stamp) else stamp.date()


def to_date_objects(parsed: pd.Series) -> pd.Series:
    """``datetime64`` column -> object column of ``datetime.date`` / None (for the identity resolver)."""
    out = pd.Series(np.full(len(parsed), None, dtype=object), index=parsed.index)
    mask = parsed.notna()
    if mask.any():
        out[mask] = parsed[mask].dt.date  # (datetime.date objects, made in C: the Timestamps one by one cost ~4x)
    return out


# --- booleans, numbers -----------------------------------------------------------------------------------------

@on_distinct
def parse_flags(column: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Y/N (YES/NO, TRUE/FALSE, 1/0) -> object column of True/False/None, and the mask of other values."""
    text = clean_text(column).astype("str").str.upper()
    out = pd.Series(np.full(len(text), None, dtype=object), index=text.index)
    yes, no = text.isin(TRUE_WORDS), text.isin(FALSE_WORDS)
    out[yes] = True
    out[no] = False
    return out, (text.notna() & ~yes & ~no).astype(bool)


def parse_numbers(column: pd.Series, low: float | None = None, high: float | None = None
                  ) -> tuple[pd.Series, pd.Series]:
    text = clean_text(column)
    numbers = pd.to_numeric(text.astype("str").str.replace(",", "", regex=False), errors="coerce")
    ok = numbers.notna()
    if low is not None:
        ok &= numbers >= low
    if high is not None:
        ok &= numbers <= high
    return numbers.where(ok), (text.notna() & ~ok).astype(bool)


# --- FFL license numbers ---------------------------------------------------------------------------------------

LICENSE_PARTS = ("region", "district", "county", "type", "expiry", "sequence")
_FULL = re.compile(r"^\s*(\d)[-\s]?(\d{2})[-\s]?(\d{3})[-\s]?(\d{2})[-\s]?(\d[A-HJ-Ma-hj-m])[-\s]?(\d{5})\s*$")
_SHORT = re.compile(r"^\s*(\d)[-\s]?(\d{2})[-\s]?(\d{5})\s*$")
EXPIRY_MONTHS = {letter: month for month, letter in enumerate("ABCDEFGHJKLM", start=1)}


@on_distinct
def parse_licenses(column: pd.Series, *, allow_short: bool = False) -> tuple[pd.DataFrame, pd.Series]:
    """Full FFL numbers -> columns ``license_number`` (canonical, dashed), ``dealer_key`` and the six parts
    (``region`` ... ``sequence``; None for a short form), plus the mask of given-but-unparseable values."""
    text = clean_text(column).astype("str")
    full = text.str.extract(_FULL)
    full.columns = list(LICENSE_PARTS)
    full["expiry"] = full["expiry"].str.upper()
    ok_full = full["region"].notna()
    frame = pd.DataFrame(index=text.index)
    for part in LICENSE_PARTS:
        frame[part] = full[part].where(ok_full)
    joined = (full["region"] + "-" + full["district"] + "-" + full["county"] + "-" + full["type"] + "-"
              + full["expiry"] + "-" + full["sequence"])
    frame["license_number"] = joined.where(ok_full)
    keys = (full["region"] + "-" + full["district"] + "-" + full["sequence"]).where(ok_full)
    ok = ok_full
    if allow_short:
        short = text.str.extract(_SHORT)
        ok_short = short[0].notna() & ~ok_full
        short_keys = short[0] + "-" + short[1] + "-" + short[2]
        keys = keys.where(~ok_short, short_keys)
        ok = ok_full | ok_short
    frame["dealer_key"] = keys.where(ok)
    return frame, (text.notna() & ~ok).astype(bool)


def parse_license(value: str) -> dict[str, str]:
    """One full license number -> its parts, ``license_number`` and ``dealer_key``; ValueError if malformed."""
    frame, bad = parse_licenses(pd.Series([value], dtype=object))
    if bool(bad.iloc[0]) or frame["dealer_key"].iloc[0] is None:
        raise ValueError("not an FFL license number (R-DD-CCC-TT-YM-SSSSS)")
    return {k: str(v) for k, v in frame.iloc[0].items()}


def expiry_month(code: str | None, list_date: date) -> str | None:
    """LIC_XPRDTE (year digit + month letter) -> ``YYYY-MM``, the year resolved to the first year ending in that
    digit from one year before the list date (licenses run three years, lists may carry recently expired ones)."""
    if not code or len(code) != 2 or not code[0].isdigit() or code[1].upper() not in EXPIRY_MONTHS:
        return None
    year = list_date.year - 1
    while year % 10 != int(code[0]):
        year += 1
    return f"{year:04d}-{EXPIRY_MONTHS[code[1].upper()]:02d}"


# --- firearms --------------------------------------------------------------------------------------------------

_NO_SERIAL = frozenset({"", "NONE", "UNKNOWN", "UNK", "NA", "NOSERIAL", "NOSN", "OBLITERATED", "OBLIT", "NULL",
                        "0", "00", "000"})


def normalize_serials(column: pd.Series) -> pd.Series:
    """Upper case, keep only A-Z/0-9; placeholders meaning 'no serial' -> None."""
    text = clean_text(column).astype("str").str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    return text.where(text.notna() & ~text.isin(_NO_SERIAL))


def normalize_serial(value: str | None) -> str | None:
    result = normalize_serials(pd.Series([value], dtype=object)).iloc[0]
    return None if pd.isna(result) else str(result)


_SUFFIX = re.compile(r"(\s+(INC|INCORPORATED|LLC|L L C|CORP|CORPORATION|CO|COMPANY|LTD|LIMITED|GMBH|SPA|SA|"
                     r"USA|US|AMERICA|MFG|MANUFACTURING|INDUSTRIES|IND|INTERNATIONAL|INTL))+$")
# compact form (letters and digits only, & spelled AND) -> canonical name
_ALIASES: dict[str, str] = {
    "SW": "SMITH & WESSON", "SANDW": "SMITH & WESSON", "SMITHWESSON": "SMITH & WESSON",
    "SMITHANDWESSON": "SMITH & WESSON", "SMITHWESSONCORP": "SMITH & WESSON", "SMITH": "SMITH & WESSON",
    "STURMRUGER": "RUGER", "STURMRUGERANDCO": "RUGER", "STURMRUGERCO": "RUGER", "RUGER": "RUGER",
    "STURMRUGERANDCOMPANY": "RUGER",
    "GLOCK": "GLOCK", "GLOCKGESMBH": "GLOCK",
    "HIPOINT": "HI-POINT", "HIPOINTFIREARMS": "HI-POINT", "BEEMILLER": "HI-POINT",
    "TAURUS": "TAURUS", "FORJASTAURUS": "TAURUS", "TAURUSARMAS": "TAURUS",
    "SIG": "SIG SAUER", "SIGSAUER": "SIG SAUER", "SIGARMS": "SIG SAUER",
    "KELTEC": "KEL-TEC", "KELTECCNC": "KEL-TEC",
    "HK": "HECKLER & KOCH", "HANDK": "HECKLER & KOCH", "HECKLERANDKOCH": "HECKLER & KOCH",
    "HECKLERKOCH": "HECKLER & KOCH",
    "MOSSBERG": "MOSSBERG", "OFMOSSBERG": "MOSSBERG", "OFMOSSBERGANDSONS": "MOSSBERG",
    "MOSSBERGANDSONS": "MOSSBERG",
    "SPRINGFIELD": "SPRINGFIELD ARMORY", "SPRINGFIELDARMORY": "SPRINGFIELD ARMORY",
    "COLT": "COLT", "COLTS": "COLT", "COLTSMFG": "COLT", "COLTSMANUFACTURING": "COLT",
    "BERETTA": "BERETTA", "PIETROBERETTA": "BERETTA",
    "WALTHER": "WALTHER", "CARLWALTHER": "WALTHER",
    "CHARTERARMS": "CHARTER ARMS", "CHARTER": "CHARTER ARMS",
    "JIMENEZ": "JIMENEZ ARMS", "JIMENEZARMS": "JIMENEZ ARMS",
    "SCCY": "SCCY", "SCCYFIREARMS": "SCCY",
    "REMINGTON": "REMINGTON", "REMINGTONARMS": "REMINGTON",
    "SAVAGE": "SAVAGE", "SAVAGEARMS": "SAVAGE",
    "MARLIN": "MARLIN", "MARLINFIREARMS": "MARLIN",
    "KIMBER": "KIMBER", "KIMBERMFG": "KIMBER",
    "BROWNING": "BROWNING", "BROWNINGARMS": "BROWNING",
    "WINCHESTER": "WINCHESTER", "WINCHESTERREPEATINGARMS": "WINCHESTER",
    "ROSSI": "ROSSI", "AMADEOROSSI": "ROSSI",
    "BRYCO": "BRYCO", "BRYCOARMS": "BRYCO", "LORCIN": "LORCIN", "LORCINENGINEERING": "LORCIN",
    "RAVEN": "RAVEN ARMS", "RAVENARMS": "RAVEN ARMS", "PHOENIX": "PHOENIX ARMS", "PHOENIXARMS": "PHOENIX ARMS",
    "CENTURY": "CENTURY ARMS", "CENTURYARMS": "CENTURY ARMS", "CENTURYINTERNATIONALARMS": "CENTURY ARMS",
    "CANIK": "CANIK", "CANIK55": "CANIK", "ZASTAVA": "ZASTAVA", "ZASTAVAARMS": "ZASTAVA",
    "POLYMER80": "POLYMER80", "P80": "POLYMER80",
}


def normalize_manufacturer(value: str | None) -> str | None:
    if value is None:
        return None
    text = re.sub(r"[^A-Z0-9&]+", " ", str(value).upper()).strip()
    text = re.sub(r"\s*&\s*", " & ", text)
    text = _SUFFIX.sub("", text).strip()
    if not text:
        return None
    compact = re.sub(r"[^A-Z0-9]", "", text.replace("&", "AND"))
    alias = _ALIASES.get(compact) or _ALIASES.get(re.sub(r"[^A-Z0-9]", "", text))
    return alias or text


def normalize_manufacturers(column: pd.Series) -> pd.Series:
    return map_distinct(clean_text(column), normalize_manufacturer)


@on_distinct
def parse_weapon_types(column: pd.Series) -> tuple[pd.Series, pd.Series]:
    text = clean_text(column).astype("str").str.upper().str.replace(r"\s+", " ", regex=True)
    text = text.replace({k: v for k, v in _WEAPON_ALIASES.items() if v})
    ok = text.isin(WEAPON_TYPES)
    return text.where(ok), (text.notna() & ~ok).astype(bool)


def firearm_description(frame: pd.DataFrame) -> tuple[dict[str, pd.Series], list[tuple[pd.Series, str]]]:
    """The description of the gun a record names, parsed the same way by every loader (traces, multiple sales,
    lost/stolen reports): ``manufacturer`` (as given) and ``manufacturer_normalized``, ``weapon_type``, ``model``
    and ``caliber``; plus the checks (mask, reason) each of them applies."""
    out = {"manufacturer": text(frame, "manufacturer")}
    out["manufacturer_normalized"] = normalize_manufacturers(out["manufacturer"])
    weapon, bad_weapon = parse_weapon_types(text(frame, "weapon_type"))
    out["weapon_type"] = weapon
    out["model"], out["caliber"] = text(frame, "model"), text(frame, "caliber")
    checks = [(out["manufacturer"].isna(), "missing manufacturer"), (bad_weapon, "unknown weapon_type"),
              (weapon.isna() & ~bad_weapon, "missing weapon_type")]
    return out, checks


def firearm_keys(manufacturer_norm: pd.Series, serial_norm: pd.Series, weapon_type: pd.Series,
                 fallback_ids: pd.Series) -> pd.Series:
    """``MANUFACTURER|SERIAL|TYPE``; without a usable serial, ``UNSERIALED|<fallback id>`` (never merges)."""
    keyed = (manufacturer_norm.fillna("").astype(str) + "|" + serial_norm.fillna("").astype(str) + "|"
             + weapon_type.fillna("").astype(str))
    fallback = "UNSERIALED|" + fallback_ids.astype(str)
    return keyed.where(serial_norm.notna(), fallback).astype(object)


# --- states and countries --------------------------------------------------------------------------------------

_STATE_ALIASES = {
    "DST OF COLUMBIA": "DC", "WASHINGTON DC": "DC", "WASHINGTON D C": "DC", "D C": "DC",
    "US VIRGIN ISLANDS": "VI", "US VIRGIN ISLND": "VI", "VIRGIN ISLANDS": "VI", "U S VIRGIN ISLANDS": "VI",
    "GUAM & NORTHERN MARIANA ISLANDS": "GU", "NORTHERN MARIANA ISLANDS": "MP", "AMERICAN SAMOA": "AS",
}
# AP style abbreviations (used by UCR department names, e.g. "Albuquerque, N.M.")
AP_STATES = {
    "ALA": "AL", "ARIZ": "AZ", "ARK": "AR", "CALIF": "CA", "COLO": "CO", "CONN": "CT", "DEL": "DE", "FLA": "FL",
    "GA": "GA", "ILL": "IL", "IND": "IN", "KAN": "KS", "KY": "KY", "LA": "LA", "MD": "MD", "MASS": "MA",
    "MICH": "MI", "MINN": "MN", "MISS": "MS", "MO": "MO", "MONT": "MT", "NEB": "NE", "NEV": "NV", "NH": "NH",
    "NJ": "NJ", "NM": "NM", "NY": "NY", "NC": "NC", "ND": "ND", "OKLA": "OK", "ORE": "OR", "PA": "PA",
    "RI": "RI", "SC": "SC", "SD": "SD", "TENN": "TN", "TEX": "TX", "TEXAS": "TX", "VT": "VT", "VA": "VA",
    "WASH": "WA", "WVA": "WV", "WIS": "WI", "WYO": "WY", "DC": "DC", "ALASKA": "AK", "HAWAII": "HI",
    "IDAHO": "ID", "IOWA": "IA", "MAINE": "ME", "OHIO": "OH", "OREGON": "OR", "UTAH": "UT",
}


@functools.cache
def _state_lookup() -> dict[str, str]:
    table = reference.states()
    lookup = {str(code): str(code) for code in table["state"]}
    lookup.update({re.sub(r"[^A-Z ]", "", str(name)).strip(): str(code)
                   for name, code in zip(table["name_upper"], table["state"], strict=True)})
    lookup.update(_STATE_ALIASES)
    return lookup


def state_code(value: str | None) -> str | None:
    """USPS code or state/territory name (any case) -> USPS code; None when unknown."""
    if value is None:
        return None
    text = re.sub(r"\s+", " ", re.sub(r"[^A-Z& ]", " ", str(value).upper())).strip()
    lookup = _state_lookup()
    return lookup.get(text) or lookup.get(text.replace(" ", ""))


@on_distinct
def parse_states(column: pd.Series) -> tuple[pd.Series, pd.Series]:
    text = clean_text(column)
    codes = map_distinct(text, state_code)
    return codes, (text.notna() & codes.isna()).astype(bool)


@on_distinct
def parse_countries(column: pd.Series, default: str = "US") -> tuple[pd.Series, pd.Series]:
    text = clean_text(column).astype("str").str.upper()
    ok = text.str.fullmatch(r"[A-Z]{2}", na=False)
    bad = text.notna() & ~ok
    return text.where(ok, default if default else np.nan), bad.astype(bool)


@on_distinct
def normalize_zips(column: pd.Series) -> tuple[pd.Series, pd.Series]:
    """ZIP or ZIP+4 -> five digits; other non-empty values are bad."""
    text = clean_text(column).astype("str")
    five = text.str.extract(r"^(\d{5})(?:-?\d{4})?$", expand=False)
    return five.where(five.notna()), (text.notna() & five.isna()).astype(bool)
