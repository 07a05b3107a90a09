"""Multiple sales reports (``multiple_sales.csv``; ATF Form 3310.4 handguns / 3310.12 certain rifles).

One row per firearm; rows sharing ``report_id`` are one report. Each row links the purchaser (resolved by
:mod:`loaders.identity`, the same ``Person`` nodes traces use), the dealer (``REGN-DIST-SEQN``, an ``UNLISTED``
stub when unknown) and the firearm (the trace loader's key) with
``(Person)-[:PURCHASED {sale_id: 'msr:<report_id>:<serial>', multiple_sale: true, form, report_id}]->(Firearm)``
and ``(Dealer)-[:SOLD]->(Firearm)``. A row needs a serial (a report without one names no gun); a serial repeated
inside one report is rejected as a duplicate. Every row of one report must name the same dealer.
"""

from __future__ import annotations

import pandas as pd

from loaders import corrections, geo, straw_keys
from loaders.base import Loader, reasons_from
from loaders.domain import locations
from loaders.domain.parsing import (
    firearm_description,
    firearm_keys,
    normalize_serials,
    parse_dates,
    parse_licenses,
    text,
    to_date_objects,
)
from loaders.entities import (
    DealerIndex,
    PersonResolver,
    firearm_nodes,
    license_columns,
    mentions_frame,
    nulls_as_none,
)
from loaders.frames import arrow
from loaders.traces import person_fields

FORMS = ("3310.4", "3310.12")
PURCHASER = ("last_name", "first_name", "middle_name", "dob", "street", "city", "state", "zip")


class MultipleSalesLoader(Loader):
    kind = "multiple-sales"
    required = ("report_id", "form", "dealer_ffl", "sale_date", "purchaser_last_name", "purchaser_first_name",
                "serial_number", "manufacturer", "weapon_type")

    def begin(self) -> None:
        straw_keys.mark_if_empty(self.store)
        self.dealers = DealerIndex(self.store)
        self.persons = PersonResolver(self.store, self.options.committed)
        self.places_written: dict[str, str | None] = {}  # Location keys (city names) this run wrote (geo.upsert_places)
        self.seen: set[tuple[str, str]] = set()
        self.report_dealer: dict[str, str] = {}
        mentions = [_mentions(good) for good in self.survey()]
        if not self.surveyed:
            self.seen, self.report_dealer = set(), {}  # the survey's checks start again for the load
        if mentions:
            self.persons.resolve_run(pd.concat(mentions, ignore_index=True), self.run_id)

    def finish(self) -> None:
        self.details["dealer_stubs_created"] = self.dealers.stubs_created
        self.details["reports"] = len(self.report_dealer)

    def validate(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
        out: dict[str, pd.Series] = {}
        checks: list[tuple[pd.Series, str]] = []
        report = text(frame, "report_id")
        out["report_id"] = report
        checks.append((report.isna(), "missing report_id"))
        form = text(frame, "form").str.upper().str.replace(r"^(ATF\s*)?(F(ORM)?\s*)?", "", regex=True)
        out["form"] = form
        checks.append((~form.isin(FORMS), "form must be 3310.4 or 3310.12"))
        dealer_ffl = text(frame, "dealer_ffl")
        licenses, bad_license = parse_licenses(dealer_ffl)
        out["dealer_license_quoted"] = dealer_ffl
        for name in licenses.columns:
            out[f"dealer_{name}"] = licenses[name]
        checks.append((dealer_ffl.isna(), "missing dealer_ffl"))
        checks.append((bad_license, "unparseable license number in dealer_ffl"))
        out["sale_date"], bad_date = parse_dates(text(frame, "sale_date"))
        checks.append((bad_date, "bad date in sale_date"))
        checks.append((out["sale_date"].isna() & ~bad_date, "missing sale_date"))
        person_fields(frame, "purchaser", PURCHASER, checks, out)
        checks.append((out["purchaser_last_name"].isna() | out["purchaser_first_name"].isna(),
                       "missing purchaser name"))
        out["serial_number"] = text(frame, "serial_number")
        out["serial_normalized"] = normalize_serials(out["serial_number"])
        checks.append((out["serial_normalized"].isna(), "missing serial_number"))
        gun, gun_checks = firearm_description(frame)
        out.update(gun)
        checks.extend(gun_checks)
        out["obliterated"] = pd.Series(False, index=frame.index)
        out["firearm_key"] = firearm_keys(out["manufacturer_normalized"], out["serial_normalized"],
                                          out["weapon_type"], "msr:" + report.fillna(""))
        pair = report.fillna("") + "\x1f" + out["serial_normalized"].fillna("")
        keys = list(zip(report.fillna(""), out["serial_normalized"].fillna(""), strict=True))
        duplicate = pair.duplicated().to_numpy() | pd.Series([k in self.seen for k in keys], index=frame.index)
        self.seen.update(keys)
        checks.append((duplicate & out["serial_normalized"].notna(), "duplicate serial within report_id"))
        dealer = licenses["dealer_key"]
        first_dealer = report.map(self.report_dealer).astype(object)
        batch_first = dealer.groupby(report).transform("first").astype(object)
        expected = first_dealer.where(first_dealer.notna(), batch_first)
        checks.append((dealer.notna() & expected.notna() & (dealer != expected),
                       "report_id names a different dealer than its first row"))
        for r, d in zip(report, dealer, strict=True):
            if r is not None and d is not None:
                self.report_dealer.setdefault(r, d)
        return pd.DataFrame(out, index=frame.index), reasons_from(checks, frame.index)

    def load(self, good: pd.DataFrame) -> int:
        run = self.run_id
        self.dealers.ensure(license_columns(good, "dealer_"), run)
        geo.upsert_places(self.store, pd.DataFrame({
            "country": locations.US, "state": good["purchaser_state"], "city_norm": good["purchaser_city_norm"],
            "city": good["purchaser_city"], "zip": good["purchaser_zip"]}), self.places_written)
        sale_id = _sale_ids(good)
        keys = self.persons.resolve(_mentions(good), run).set_index("mention_id")["person_key"]
        person = sale_id.map(keys)
        earlier = corrections.sale_versions(self.store, good["firearm_key"], person, sale_id)  # loaded before: rare
        self.store.upsert_nodes("Firearm", arrow(firearm_nodes(good, run), "Firearm"))
        has = person.notna()
        self.store.upsert_relationships("PURCHASED", "Person", "Firearm", arrow(pd.DataFrame({
            "from_key": person[has], "to_key": good["firearm_key"][has], "sale_id": sale_id[has],
            "purchase_date": good["sale_date"][has], "dealer_key": good["dealer_dealer_key"][has],
            "multiple_sale": True, "report_id": good["report_id"][has], "form": good["form"][has],
            "source": "multiple_sales"}), rel_type="PURCHASED"))
        self.store.upsert_relationships("SOLD", "Dealer", "Firearm", arrow(pd.DataFrame({
            "from_key": good["dealer_dealer_key"], "to_key": good["firearm_key"], "sale_date": good["sale_date"],
            "license_number_quoted": good["dealer_license_quoted"]}), rel_type="SOLD"))
        if len(earlier):
            fixed, for_analysis = corrections.replace_earlier_sales(self.store, earlier, pd.DataFrame({
                "sale_id": sale_id, "firearm_key": good["firearm_key"], "purchaser_key": person,
                "purchase_date": good["sale_date"], "dealer_key": good["dealer_dealer_key"], "form": good["form"]}))
            corrections.count(self.details, fixed, for_analysis)
        place = locations.zip_keys(good["purchaser_zip"]).fillna(
            locations.city_keys(good["purchaser_city_norm"], good["purchaser_state"]))
        lives = pd.DataFrame({"from_key": person, "to_key": place}).dropna().drop_duplicates()
        if len(lives):
            self.store.upsert_relationships("LIVES_AT", "Person", "Location", arrow(lives))
        straw_keys.index_firearms(self.store, good["firearm_key"], purchased=good["firearm_key"][has],
                                  sold=good["firearm_key"])
        return len(good)


def _sale_ids(good: pd.DataFrame) -> pd.Series:
    return "msr:" + good["report_id"] + ":" + good["serial_normalized"]


def _mentions(good: pd.DataFrame) -> pd.DataFrame:
    fields = {f: good[f"purchaser_{f}"] for f in PURCHASER if f != "dob"}
    fields["dob"] = to_date_objects(good["purchaser_dob"])
    return nulls_as_none(mentions_frame(_sale_ids(good), fields))
