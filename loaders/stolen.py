"""Lost/stolen firearm reports (``stolen.csv``, one row per firearm named by a report).

Columns: ``report_id, reported_date, reporter, serial_number, manufacturer, model, caliber, weapon_type, country``
(``source_form`` optional). Rows sharing a ``report_id`` are one report naming several guns: a dealer's theft/loss
report (ATF Form 3310.11, filed within 48 hours of discovering the loss, 27 CFR 478.39a) or a police/agency
report, at home or abroad (INTERPOL iARMS holds such records across borders).

Graph written: ``TheftReport`` (keyed by ``report_id``), ``(Firearm)-[:REPORTED_STOLEN]->(TheftReport)`` with the
``Firearm`` keyed by :func:`loaders.domain.parsing.firearm_keys` exactly as a trace keys it (normalised manufacturer +
serial + weapon type), so a recovered gun and a stolen report meet on one node whichever file is loaded first;
and, when the reporter looks like an FFL number (full ``R-DD-CCC-TT-YM-SSSSS``, any expiry, or the short
``R-DD-SSSSS``), ``(Dealer)-[:REPORTED]->(TheftReport)`` through the same dealer index the traces use (an unknown
licensee becomes an ``UNLISTED`` stub). Any other reporter is an agency, kept as ``reporter_agency``.

A row with an empty or placeholder serial (``NONE``, ``OBLITERATED``...) is kept, but its firearm gets a key of
its own (``UNSERIALED|report:<report_id>:<n>``) and never merges with any other gun.

Rejected (with the reason): a missing report_id, reported_date, reporter, manufacturer or weapon_type, a bad date,
an unknown weapon type, a bad country code, a row whose reported_date/reporter/country disagree with an earlier row
of the same report, the same firearm twice in one report.

After the load, every recovery is checked against the reports (:func:`algorithms.stolen_hits.mark_hits`, run
by the load command through ``LoadOptions.after_load``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from loaders import corrections
from loaders.base import Loader, reasons_from
from loaders.domain.parsing import (
    clean_text,
    firearm_description,
    firearm_keys,
    normalize_serials,
    parse_countries,
    parse_dates,
    parse_licenses,
    text,
)
from loaders.entities import DealerIndex, firearm_nodes
from loaders.frames import arrow

DEALER_FORM = "ATF F 3310.11"
AGENCY_FORM = "agency report"


def parse_reporters(column: pd.Series) -> pd.DataFrame:
    """Reporter text -> ``reporter_kind`` (dealer | agency), ``dealer_key`` and the parsed license columns."""
    column = clean_text(column)
    licenses, _bad = parse_licenses(column, allow_short=True)
    full, _ = parse_licenses(column)
    # a short number (REGN-DIST-SEQN) counts only with its separators: eight bare digits may be an agency id
    short_ok = column.astype("str").str.fullmatch(r"\s*\d[-\s]\d{2}[-\s]\d{5}\s*", na=False)
    licenses["dealer_key"] = licenses["dealer_key"].where(full["dealer_key"].notna() | short_ok)
    kind = np.where(licenses["dealer_key"].notna(), "dealer", "agency")
    licenses["reporter_kind"] = pd.Series(kind, index=column.index, dtype=object).where(column.notna())
    return licenses


class StolenLoader(Loader):
    kind = "stolen"
    required = ("report_id", "reported_date", "reporter", "serial_number", "manufacturer", "weapon_type")
    optional = ("model", "caliber", "country", "source_form")

    def begin(self) -> None:
        self.reports: dict[str, tuple[object, object, object]] = {}  # report_id -> (date, reporter, country)
        self.guns_seen: set[tuple[str, str]] = set()
        self.unserialed: dict[str, int] = {}
        self.counts: dict[str, int] = {}
        self.dealers = DealerIndex(self.store)
        # a report loaded before and again (a correction?) is compared once the whole file is read: its rows may
        # span batches (loaders/corrections.py)
        self.earlier: list[pd.DataFrame] = []
        self.stated: list[pd.DataFrame] = []  # the rows of those reports only
        self.reloaded: set[str] = set()

    def finish(self) -> None:
        if self.earlier:
            guns = pd.concat([s[["report_id", "firearm_key"]] for s in self.stated], ignore_index=True)
            heads = pd.concat(self.stated, ignore_index=True).drop_duplicates("report_id")
            corrections.count(self.details, *corrections.replace_earlier_thefts(
                self.store, pd.concat(self.earlier, ignore_index=True), guns,
                heads.drop(columns="firearm_key")))
        self.details["dealer_stubs_created"] = self.dealers.stubs_created
        self.details["reports"] = len(self.reports)

    def validate(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
        out: dict[str, pd.Series] = {}
        checks: list[tuple[pd.Series, str]] = []
        report = text(frame, "report_id")
        out["report_id"] = report
        checks.append((report.isna(), "missing report_id"))
        dates, bad_date = parse_dates(text(frame, "reported_date"))
        out["reported_date"] = dates
        checks.append((bad_date, "bad date in reported_date"))
        checks.append((dates.isna() & ~bad_date, "missing reported_date"))
        reporter = text(frame, "reporter")
        out["reporter"] = reporter
        checks.append((reporter.isna(), "missing reporter"))
        country, bad_country = parse_countries(text(frame, "country"))
        out["country"] = country
        checks.append((bad_country, "bad country (ISO 3166-1 alpha-2)"))
        gun, gun_checks = firearm_description(frame)
        out.update(gun)
        checks.extend(gun_checks)
        out["source_form"] = text(frame, "source_form")
        out["serial_number"] = text(frame, "serial_number")
        serial = normalize_serials(out["serial_number"])
        out["serial_normalized"] = serial
        out["obliterated"] = pd.Series(False, index=frame.index)
        reporters = parse_reporters(reporter)
        for name in reporters.columns:
            out[name if name == "reporter_kind" else f"reporter_{name}"] = reporters[name]
        parsed = pd.DataFrame(out, index=frame.index)
        reasons = reasons_from(checks, frame.index)
        # report-level agreement and duplicates, in file order, over good rows only (state kept across batches)
        keys = firearm_keys(parsed["manufacturer_normalized"], serial, parsed["weapon_type"],
                            pd.Series("", index=frame.index))
        fallback: list[str | None] = []
        for i, idx in enumerate(frame.index):
            rid = report.iloc[i]
            if reasons.iloc[i] is not None:
                fallback.append(None)
                continue
            head = (dates.iloc[i], reporter.iloc[i], country.iloc[i])
            first = self.reports.setdefault(str(rid), head)
            if first != head:
                reasons.at[idx] = "reported_date, reporter or country differ from an earlier row of this report"
                fallback.append(None)
                continue
            if pd.isna(serial.iloc[i]):
                n = self.unserialed.get(str(rid), 0) + 1
                self.unserialed[str(rid)] = n
                fallback.append(f"report:{rid}:{n}")
                continue
            pair = (str(rid), str(keys.iloc[i]))
            if pair in self.guns_seen:
                reasons.at[idx] = "the same firearm twice in one report"
            self.guns_seen.add(pair)
            fallback.append(None)
        parsed["firearm_key"] = firearm_keys(parsed["manufacturer_normalized"], serial, parsed["weapon_type"],
                                             pd.Series(fallback, index=frame.index, dtype=object))
        return parsed, reasons

    def load(self, good: pd.DataFrame) -> int:
        run = self.run_id
        dealer_rows = good[good["reporter_dealer_key"].notna()]
        if len(dealer_rows):
            licenses = pd.DataFrame({"license_number": dealer_rows["reporter_license_number"],
                                     "dealer_key": dealer_rows["reporter_dealer_key"],
                                     **{p: dealer_rows[f"reporter_{p}"] for p in
                                        ("region", "district", "county", "type", "expiry", "sequence")}})
            self.dealers.ensure(licenses, run)
        first_seen = sorted(set(good["report_id"]) - set(self.counts))  # the file's reports not read before
        earlier = corrections.theft_versions(self.store, first_seen)
        if len(earlier):
            self.earlier.append(earlier)
            self.reloaded.update(earlier["report_id"])
        again = good["report_id"].isin(self.reloaded)
        if again.any():
            self.stated.append(pd.DataFrame({
                "report_id": good["report_id"], "firearm_key": good["firearm_key"],
                "dealer_key": good["reporter_dealer_key"], "reported_date": good["reported_date"],
                "reporter": good["reporter"], "country": good["country"]})[again])
        guns = firearm_nodes(good, run)
        # which of these guns a trace already described (an `IN $keys` filter scanned every firearm per key)
        stored = self.store.node_table("Firearm").column("key").to_pandas() if len(guns) else pd.Series(dtype=object)
        old = guns["firearm_key"].isin(pd.Index(stored))
        described = ("serial_number", "manufacturer", "model", "caliber")  # a trace's description wins
        guns.loc[old, [c for c in described if c in guns.columns]] = None
        self.store.upsert_nodes("Firearm", arrow(guns, "Firearm"))
        for rid, size in good.groupby("report_id").size().items():
            self.counts[str(rid)] = self.counts.get(str(rid), 0) + int(size)
        heads = good.drop_duplicates("report_id")
        is_dealer = heads["reporter_kind"] == "dealer"
        form = heads["source_form"].where(heads["source_form"].notna(),
                                          pd.Series(np.where(is_dealer, DEALER_FORM, AGENCY_FORM),
                                                    index=heads.index, dtype=object))
        nodes = pd.DataFrame({
            "report_id": heads["report_id"], "reported_date": heads["reported_date"],
            "reporter_kind": heads["reporter_kind"], "reporter": heads["reporter"],
            "reporter_dealer_key": heads["reporter_dealer_key"],
            "reporter_agency": heads["reporter"].where(~is_dealer),
            "country": heads["country"], "source_form": form,
            "firearm_count": heads["report_id"].map(self.counts).astype("int64"), "load_run_id": run})
        self.store.upsert_nodes("TheftReport", arrow(nodes, "TheftReport"))
        self.store.upsert_relationships("REPORTED_STOLEN", "Firearm", "TheftReport", arrow(pd.DataFrame({
            "from_key": good["firearm_key"], "to_key": good["report_id"],
            "serial_quoted": good["serial_number"]}), rel_type="REPORTED_STOLEN"))
        by_dealer = heads[is_dealer]
        if len(by_dealer):
            self.store.upsert_relationships("REPORTED", "Dealer", "TheftReport", arrow(pd.DataFrame({
                "from_key": by_dealer["reporter_dealer_key"], "to_key": by_dealer["report_id"]})))
        return len(good)
