"""ATF "Listing of Federal Firearms Licensees" (monthly; ``.txt`` tab-delimited with a dashes line, or ``.xlsx``).

Columns are ATF's own: ``LIC_REGN LIC_DIST LIC_CNTY LIC_TYPE LIC_XPRDTE LIC_SEQN LICENSE_NAME BUSINESS_NAME
PREMISE_STREET PREMISE_CITY PREMISE_STATE PREMISE_ZIP_CODE MAIL_STREET MAIL_CITY MAIL_STATE MAIL_ZIP_CODE
VOICE_PHONE``, all read as text. A dealer's identity is ``REGN-DIST-SEQN`` (``Dealer.dealer_key``): a renewal
changes ``LIC_XPRDTE`` and updates the same node, whose ``license_number`` becomes the latest full number.
Numeric parts that lost their leading zeros in a spreadsheet are zero-padded back to ATF's widths.

``last_verified_date`` is the list date: ``--as-of`` if given, else the ``MMYY`` of ATF's file name
(``0125-ffl-list.txt`` -> 2025-01-01), else the file's modification date (``details.last_verified_source`` says
which). Churn against the previous list (the dealers last verified before this list, in the states this file
covers): new licensees, licensees no longer listed (status ``NOT_LISTED``), changed names or premises addresses.
When a previous list exists and any row of this one names no licensee (an unreadable line, an unparseable license
number), no churn is computed (``details.churn.refused`` = such rows), nobody is marked ``NOT_LISTED`` and
``tracegraph load`` ends with one line and exit code 2: a dealer on an unreadable row has not left the list.
It is stored in the LoadRun details; the keys of changed dealers are kept there as the run goes, so a reload or a
resumed load reports the same churn. Premises are geocoded offline (ZIP, city, county, state; see
:mod:`loaders.domain.locations`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from loaders import corrections, geo
from loaders.base import Batch, Loader, read_delimited, reasons_from
from loaders.domain import locations, reference
from loaders.domain.parsing import clean_text, expiry_month, normalize_zips, parse_licenses, parse_states
from loaders.frames import arrow
from loaders.xlsx import read_xlsx

ATF_COLUMNS = ("lic_regn", "lic_dist", "lic_cnty", "lic_type", "lic_xprdte", "lic_seqn", "license_name",
               "business_name", "premise_street", "premise_city", "premise_state", "premise_zip_code",
               "mail_street", "mail_city", "mail_state", "mail_zip_code", "voice_phone")
_WIDTHS = {"lic_regn": 1, "lic_dist": 2, "lic_cnty": 3, "lic_type": 2, "lic_seqn": 5}
_CHANGE_FIELDS = {"name": ("license_name", "business_name"),
                  "address": ("premise_street", "premise_city", "premise_state", "premise_zip")}
_FILE_DATE = re.compile(r"(?<!\d)(0[1-9]|1[0-2])(\d{2})-ffl-list", re.IGNORECASE)


def list_date(path: Path, as_of: date | None) -> tuple[date, str]:
    if as_of is not None:
        return as_of, "option --as-of"
    match = _FILE_DATE.search(path.name)
    if match:
        return date(2000 + int(match.group(2)), int(match.group(1)), 1), "file name"
    return datetime.fromtimestamp(path.stat().st_mtime).date(), "file modification time"


class FFLLoader(Loader):
    kind = "ffl"
    required = ("lic_regn", "lic_dist", "lic_cnty", "lic_type", "lic_xprdte", "lic_seqn", "license_name",
                "premise_street", "premise_city", "premise_state", "premise_zip_code")

    def batches(self, encoding: str) -> Iterator[Batch]:
        self.unidentified = 0  # rows whose licensee is unknown (unreadable line or license number): see finish
        if self.path.suffix.lower() in (".xlsx", ".xlsm"):
            source = read_xlsx(self.path, self.options.batch_rows, self.required, self.kind)
        else:
            source = read_delimited(self.path, encoding, self.options.batch_rows, self.required, self.kind)
        for batch in source:
            self.unidentified += len(batch.bad_rows)
            yield batch

    def begin(self) -> None:
        self.as_of, source = list_date(self.path, self.options.as_of)
        self.details.update({"last_verified_date": self.as_of.isoformat(), "last_verified_source": source})
        props = ("status", "first_seen_date", "last_verified_date", *_CHANGE_FIELDS["name"],
                 *_CHANGE_FIELDS["address"])
        stored = self.store.node_table("Dealer", props).to_pandas()
        self.stored = stored.rename(columns={"key": "dealer_key"}).set_index("dealer_key")
        self.seen: set[str] = set()
        self.states: set[str] = set()
        self.new = 0
        self.changed: dict[str, list[str]] = self._prior_changes()
        self.types = reference.license_types()

    def _prior_changes(self) -> dict[str, list[str]]:
        runs = self.store.node_table("LoadRun", ("details",)).to_pandas()
        mine = runs[runs["key"] == self.run_id]
        if mine.empty or not mine["details"].iloc[0]:
            return {}
        churn = json.loads(mine["details"].iloc[0]).get("churn", {})
        return {str(k): list(v) for k, v in churn.get("changed", {}).items()}

    def validate(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
        out: dict[str, pd.Series] = {}
        checks: list[tuple[pd.Series, str]] = []
        for column in ATF_COLUMNS:
            out[column] = (clean_text(frame[column]) if column in frame.columns
                           else pd.Series(np.full(len(frame), None, dtype=object), index=frame.index))
        for column, width in _WIDTHS.items():
            value = out[column]
            digits = value.astype("str").str.fullmatch(r"\d+", na=False) & (value.astype("str").str.len() <= width)
            out[column] = value.where(~digits, value.astype("str").str.zfill(width)).astype(object)
        number = (out["lic_regn"].fillna("") + "-" + out["lic_dist"].fillna("") + "-" + out["lic_cnty"].fillna("")
                  + "-" + out["lic_type"].fillna("") + "-" + out["lic_xprdte"].fillna("") + "-"
                  + out["lic_seqn"].fillna(""))
        licenses, bad_license = parse_licenses(number)
        self.unidentified += int(licenses["dealer_key"].isna().sum())
        checks.append((bad_license, "unparseable license number (LIC_REGN..LIC_SEQN)"))
        for name in licenses.columns:
            out[f"parsed_{name}"] = licenses[name]
        checks.append((licenses["dealer_key"].notna() & ~licenses["type"].isin(list(self.types)),
                       "unknown license type (LIC_TYPE)"))
        checks.append((out["license_name"].isna(), "missing LICENSE_NAME"))
        for prefix in ("premise", "mail"):
            state, bad = parse_states(out[f"{prefix}_state"])
            out[f"{prefix}_state"] = state
            checks.append((bad, f"bad {prefix.upper()}_STATE"))
            zips, bad_zip = normalize_zips(out[f"{prefix}_zip_code"])
            out[f"{prefix}_zip5"] = zips
            if prefix == "premise":
                checks.append((bad_zip, "bad PREMISE_ZIP_CODE"))
        checks.append((out["premise_state"].isna(), "missing PREMISE_STATE"))
        key = licenses["dealer_key"]
        duplicate = (key.duplicated() | key.isin(self.seen)) & key.notna()
        self.seen.update(key.dropna().tolist())
        checks.append((duplicate, "duplicate licensee (REGN-DIST-SEQN) in file"))
        return pd.DataFrame(out, index=frame.index), reasons_from(checks, frame.index)

    def load(self, good: pd.DataFrame) -> int:
        key = good["parsed_dealer_key"]
        self.states.update(good["premise_state"].dropna().unique().tolist())
        city_norm = locations.normalize_cities(good["premise_city"])
        fips = reference.states().set_index("state")["state_fips"]
        county = (good["premise_state"].map(fips) + good["lic_cnty"].astype(object)).astype(object)
        coords = locations.geocode(pd.DataFrame({"zip": good["premise_zip5"], "city_norm": city_norm,
                                           "state": good["premise_state"], "county": county}),
                             county_col="county")
        stored = self.stored.reindex(key)
        as_of = pd.Timestamp(self.as_of)
        is_new = (stored["first_seen_date"].isna() | (_stamps(stored["first_seen_date"]) == as_of)).to_numpy()
        self.new += int(is_new.sum())
        self._track_changes(good, stored)
        newer = (_stamps(stored["last_verified_date"]) > as_of).to_numpy()
        nodes = pd.DataFrame({
            "dealer_key": key, "license_number": good["parsed_license_number"].where(~newer, None),
            "license_region": good["lic_regn"], "license_district": good["lic_dist"],
            "license_county": good["lic_cnty"], "license_type": good["lic_type"],
            "license_type_name": good["lic_type"].map(self.types),
            "license_expiry_code": good["parsed_expiry"],
            "license_expiry_month": good["parsed_expiry"].map(lambda c: expiry_month(c, self.as_of)),
            "license_name": good["license_name"], "business_name": good["business_name"],
            "premise_street": good["premise_street"], "premise_city": good["premise_city"],
            "premise_state": good["premise_state"], "premise_zip": good["premise_zip_code"],
            "mail_street": good["mail_street"], "mail_city": good["mail_city"], "mail_state": good["mail_state"],
            "mail_zip": good["mail_zip_code"], "voice_phone": good["voice_phone"],
            "status": pd.Series("LISTED", index=good.index).where(~newer, None),
            "first_seen_date": pd.Series(self.as_of, index=good.index, dtype=object).where(is_new, None),
            "last_verified_date": pd.Series(self.as_of, index=good.index, dtype=object).where(~newer, None),
            "lat": coords["lat"], "lon": coords["lon"], "geocode_precision": coords["geocode_precision"],
            "load_run_id": self.run_id,
        })
        current = key[~newer]  # an older list than the one stored does not move anyone's premises
        earlier = corrections.dealer_places(self.store, current)
        self.store.upsert_nodes("Dealer", arrow(nodes, "Dealer"))
        places = pd.DataFrame({"country": locations.US, "state": good["premise_state"], "city_norm": city_norm,
                               "city": good["premise_city"], "zip": good["premise_zip5"]})
        geo.upsert_places(self.store, places)
        at = pd.concat([
            pd.DataFrame({"from_key": key, "to_key": locations.city_keys(city_norm, good["premise_state"]),
                          "precision": "city"}),
            pd.DataFrame({"from_key": key, "to_key": locations.zip_keys(good["premise_zip5"]), "precision": "zip"}),
        ], ignore_index=True).dropna(subset=["to_key"])
        self.store.upsert_relationships("AT", "Dealer", "Location", arrow(at, rel_type="AT"))
        if len(earlier):  # an FFL load makes the next analysis a full one anyway: every move counts for it
            moved = corrections.replace_moved_premises(self.store, earlier, at[at["from_key"].isin(current)])
            corrections.count(self.details, moved, moved)
        self._save_progress()
        return len(good)

    def _track_changes(self, good: pd.DataFrame, stored: pd.DataFrame) -> None:
        before = _stamps(stored["last_verified_date"]) < pd.Timestamp(self.as_of)
        incoming = good.rename(columns={"premise_zip_code": "premise_zip"}).set_index(good["parsed_dealer_key"])
        for what, fields in _CHANGE_FIELDS.items():
            differs = np.zeros(len(good), dtype=bool)
            for field in fields:
                old = stored[field].astype("str").str.upper().str.strip().fillna("")
                new = incoming[field].astype("str").str.upper().str.strip().fillna("")
                differs |= (old.to_numpy() != new.to_numpy())
            for dealer in stored.index[differs & before.to_numpy()]:
                self.changed.setdefault(str(dealer), [])
                if what not in self.changed[str(dealer)]:
                    self.changed[str(dealer)].append(what)

    def _save_progress(self) -> None:
        """Keep the changes seen so far in the LoadRun, so a resumed run still reports them."""
        self.details["churn"] = {"changed": self.changed}
        row = pd.DataFrame({"run_id": [self.run_id], "details": [json.dumps(self.details, sort_keys=True,
                                                                            default=str)]})
        self.store.upsert_nodes("LoadRun", arrow(row, "LoadRun"))

    def finish(self) -> None:
        dropped = self._no_longer_listed()
        if self.unidentified and self.previous is not None:
            # the licensee of an unreadable row would count as "no longer listed": no churn from such a list
            self.details["churn"] = {"refused": self.unidentified, "compared_with": self.previous.isoformat(),
                                     "changed": self.changed}
            return
        if dropped:
            rows = pd.DataFrame({"dealer_key": dropped, "status": "NOT_LISTED"})
            self.store.upsert_nodes("Dealer", arrow(rows, "Dealer"))
        changed_name = sorted(k for k, v in self.changed.items() if "name" in v)
        changed_address = sorted(k for k, v in self.changed.items() if "address" in v)
        self.details["churn"] = {
            "compared_with": self.previous.isoformat() if self.previous else None,
            "states": sorted(self.states), "new": self.new, "no_longer_listed": len(dropped),
            "changed_name": len(changed_name), "changed_address": len(changed_address),
            "no_longer_listed_keys": dropped[:1000], "changed": self.changed,
        }

    def _no_longer_listed(self) -> list[str]:
        stored = self.stored
        if stored.empty:
            self.previous: date | None = None
            return []
        verified = _stamps(stored["last_verified_date"])
        in_scope = stored["premise_state"].isin(self.states) & stored["status"].isin(["LISTED", "NOT_LISTED"])
        earlier = verified[in_scope & (verified < pd.Timestamp(self.as_of))]
        if earlier.empty:
            self.previous = None
            return []
        latest = earlier.max()
        self.previous = latest.date()
        gone = in_scope & (verified == latest) & ~stored.index.isin(list(self.seen))
        return sorted(str(k) for k in stored.index[gone.to_numpy()])


def _stamps(values: pd.Series) -> pd.Series:
    """Dates (``datetime.date`` objects or None) as ``datetime64`` for comparisons (NaT never compares true)."""
    return pd.to_datetime(values.astype(object), errors="coerce")


def churn_refusal(details: dict[str, Any], file: str) -> str | None:
    """The one line that says why no churn was computed for this list, or None when it was."""
    refused = (details.get("churn") or {}).get("refused")
    if not refused:
        return None
    return (f"{Path(file).name}: churn not computed: {refused:,} rejected row(s) name no readable licensee, who "
            "would count as no longer listed; fix them (see the rejects file) and load the list again")


def churn_summary(details: dict[str, Any]) -> str:
    churn = details.get("churn") or {}
    if not churn or churn.get("refused"):
        return ""
    return (f"churn vs {churn.get('compared_with') or 'nothing (first list)'}: {churn.get('new', 0)} new, "
            f"{churn.get('no_longer_listed', 0)} no longer listed, {churn.get('changed_name', 0)} changed name, "
            f"{churn.get('changed_address', 0)} changed address")
