"""Trace records (``traces.csv``, one row per traced crime gun; fields modelled on an eTrace trace result).

Graph written per row: ``Recovery`` (keyed by ``trace_id``; ``time_to_crime_days = recovery_date -
purchase_date`` computed here), ``Firearm`` (normalised manufacturer + serial + type; an obliterated or empty serial
gets ``UNSERIALED|trace:<trace_id>`` so two such guns never merge), ``(Firearm)-[:RECOVERED_IN]->(Recovery)``, the
selling ``Dealer`` reached through ``REGN-DIST-SEQN`` (an unknown licensee becomes an ``UNLISTED`` stub) with
``(Dealer)-[:SOLD]->(Firearm)``, the purchaser ``(Person)-[:PURCHASED {sale_id: 'trace:<trace_id>'}]->(Firearm)``
and possessor ``(Recovery)-[:POSSESSED_BY]->(Person)`` resolved by :mod:`loaders.identity`, their
``LIVES_AT`` places, and ``(Recovery)-[:AT]->(Location)`` for the recovery city and ZIP (coordinates from
``recovery_lat``/``recovery_lon`` when given, else the ZIP centroid, else the city).

Rejected (with the reason): missing required fields, a bad date, a missing serial without
``obliterated_serial=Y``, an unknown weapon type, a bad state/ZIP/country, a duplicate ``trace_id`` in the file,
an unparseable dealer license number, coordinates out of range, a purchase after the recovery.
"""

from __future__ import annotations

import threading

import pandas as pd
import pyarrow as pa

from loaders import corrections, geo, straw_keys
from loaders.base import Loader, reasons_from
from loaders.domain import locations
from loaders.domain.parsing import (
    firearm_description,
    firearm_keys,
    normalize_serials,
    normalize_zips,
    parse_countries,
    parse_dates,
    parse_flags,
    parse_licenses,
    parse_numbers,
    parse_states,
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

TRACE_STATUSES = ("COMPLETED", "NO RECORD", "INCOMPLETE")
PURCHASER = ("last_name", "first_name", "middle_name", "dob", "street", "city", "state", "zip")
POSSESSOR = ("last_name", "first_name", "dob", "street", "city", "state", "zip")


def person_fields(frame: pd.DataFrame, role: str, fields: tuple[str, ...],
                  checks: list[tuple[pd.Series, str]], out: dict[str, pd.Series]) -> None:
    """Parse ``<role>_<field>`` columns into ``out`` (keys ``<role>_<field>``), adding bad-value checks."""
    for name in fields:
        raw = text(frame, f"{role}_{name}")
        if name == "dob":
            parsed, bad = parse_dates(raw)
            out[f"{role}_dob"] = parsed
            checks.append((bad, f"bad date in {role}_dob"))
        elif name == "state":
            codes, bad = parse_states(raw)
            out[f"{role}_state"] = codes
            checks.append((bad, f"bad state in {role}_state"))
        elif name == "zip":
            zips, bad = normalize_zips(raw)
            out[f"{role}_zip"] = zips
            checks.append((bad, f"bad ZIP in {role}_zip"))
        else:
            out[f"{role}_{name}"] = raw
    out[f"{role}_city_norm"] = locations.normalize_cities(out[f"{role}_city"])


class TracesLoader(Loader):
    kind = "traces"
    required = ("trace_id", "recovery_date", "recovery_city", "recovery_state", "manufacturer", "weapon_type")
    gazetteer: threading.Thread | None = None

    def begin(self) -> None:
        # the gazetteer's tables, which the load geocodes by, built in another thread (a day's load started it
        # first thing: api.services.daily.load_files)
        self.gazetteer = locations.tables_ahead()
        straw_keys.mark_if_empty(self.store)
        self.dealers = DealerIndex(self.store)
        self.persons = PersonResolver(self.store, self.options.committed)
        self.places_written: dict[str, str | None] = {}
        self.seen: set[str] = set()
        self.recoveries = []
        mentions = [self._mentions(good) for good in self.survey()]
        if not self.surveyed:
            self.seen = set()  # the survey's duplicate checks start again for the load
        if mentions:  # ahead, when it can: resolved beside the writes that need no person (``load``)
            self.persons.resolve_run(nulls_as_none(pd.concat(mentions, ignore_index=True)), self.run_id,
                                     ahead=self.surveyed)

    def close(self) -> None:
        persons = getattr(self, "persons", None)  # (None: ``begin`` failed before it)
        if persons is not None:
            persons.abandon()

    def finish(self) -> None:
        self.details["dealer_stubs_created"] = self.dealers.stubs_created

    def validate(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
        out: dict[str, pd.Series] = {}
        checks: list[tuple[pd.Series, str]] = []
        trace_id = text(frame, "trace_id")
        out["trace_id"] = trace_id
        checks.append((trace_id.isna(), "missing trace_id"))
        seen = self.seen.__contains__  # a set lookup per row: Series.isin(set) copies the whole set every batch
        duplicate = trace_id.duplicated() | pd.Series([seen(t) for t in trace_id.tolist()], index=trace_id.index,
                                                      dtype=bool)
        self.seen.update(trace_id.dropna().tolist())
        checks.append((duplicate & trace_id.notna(), "duplicate trace_id in file"))
        bad_dates = {}
        for name in ("recovery_date", "request_date", "purchase_date"):
            out[name], bad_dates[name] = parse_dates(text(frame, name))
            checks.append((bad_dates[name], f"bad date in {name}"))
        checks.append((out["recovery_date"].isna() & ~bad_dates["recovery_date"], "missing recovery_date"))
        country, bad_country = parse_countries(text(frame, "recovery_country"))
        out["recovery_country"] = country
        checks.append((bad_country, "bad recovery_country (ISO 3166-1 alpha-2)"))
        abroad = country != locations.US
        state_raw = text(frame, "recovery_state")
        state, bad_state = parse_states(state_raw)
        out["recovery_state"] = state.where(~abroad, state_raw)
        checks.append((bad_state & ~abroad, "bad recovery_state"))
        checks.append((state_raw.isna() & ~abroad, "missing recovery_state"))
        out["recovery_city"] = text(frame, "recovery_city")
        checks.append((out["recovery_city"].isna(), "missing recovery_city"))
        out["recovery_city_norm"] = locations.normalize_cities(out["recovery_city"])
        out["recovery_street"] = text(frame, "recovery_street")
        zips, bad_zip = normalize_zips(text(frame, "recovery_zip"))
        out["recovery_zip"] = zips.where(~abroad, None)
        checks.append((bad_zip & ~abroad, "bad ZIP in recovery_zip"))
        for name, low, high in (("recovery_lat", -90.0, 90.0), ("recovery_lon", -180.0, 180.0)):
            numbers, bad = parse_numbers(text(frame, name), low, high)
            out[name] = numbers
            checks.append((bad, f"{name} not a number in range"))
        checks.append((out["recovery_lat"].isna() != out["recovery_lon"].isna(),
                       "recovery_lat and recovery_lon must be given together"))
        for name in ("crime_code", "agency_ori", "agency_name", "importer", "multiple_sale_report_id"):
            out[name] = text(frame, name)
        out["crime_code"] = out["crime_code"].str.upper()
        status = text(frame, "trace_status").str.upper()
        out["trace_status"] = status
        checks.append((status.notna() & ~status.isin(TRACE_STATUSES), "unknown trace_status"))
        cmfg, bad_cmfg = parse_countries(text(frame, "country_of_manufacture"), default="")
        out["country_of_manufacture"] = cmfg
        checks.append((bad_cmfg, "bad country_of_manufacture (ISO 3166-1 alpha-2)"))
        gun, gun_checks = firearm_description(frame)
        out.update(gun)
        checks.extend(gun_checks)
        obliterated, bad_flag = parse_flags(text(frame, "obliterated_serial"))
        checks.append((bad_flag, "obliterated_serial must be Y or N"))
        is_obliterated = obliterated.eq(True)
        out["serial_number"] = text(frame, "serial_number")
        serial_norm = normalize_serials(out["serial_number"])
        out["serial_normalized"] = serial_norm.where(~is_obliterated, None)
        out["obliterated"] = is_obliterated.astype(bool)
        checks.append((serial_norm.isna() & ~is_obliterated, "missing serial_number without obliterated_serial=Y"))
        out["firearm_key"] = firearm_keys(out["manufacturer_normalized"], out["serial_normalized"],
                                          out["weapon_type"], "trace:" + trace_id.fillna(""))
        dealer_ffl = text(frame, "dealer_ffl")
        licenses, bad_license = parse_licenses(dealer_ffl)
        out["dealer_license_quoted"] = dealer_ffl
        for name in licenses.columns:
            out[f"dealer_{name}"] = licenses[name]
        checks.append((bad_license, "unparseable license number in dealer_ffl"))
        person_fields(frame, "purchaser", PURCHASER, checks, out)
        person_fields(frame, "possessor", POSSESSOR, checks, out)
        ttc = (out["recovery_date"] - out["purchase_date"]).dt.days
        out["time_to_crime_days"] = ttc
        checks.append((ttc < 0, "purchase_date after recovery_date"))
        parsed = pd.DataFrame(out, index=frame.index)
        return parsed, reasons_from(checks, frame.index)

    def load(self, good: pd.DataFrame) -> int:
        run = self.run_id
        self.dealers.ensure(license_columns(good, "dealer_"), run)
        earlier = corrections.versions(self.store, good["trace_id"])  # records loaded before: none, mostly
        # keys created by this batch: relationships at them cannot exist yet (the store skips the lookup)
        guns = self.store.upsert_nodes("Firearm", arrow(firearm_nodes(good, run), "Firearm")).created_keys
        if self.gazetteer is not None:
            self.gazetteer.join()  # (an error there comes again, here, from the first geocode)
            self.gazetteer = None
        us_state = good["recovery_state"].where(good["recovery_country"] == locations.US)  # free text abroad: not a key
        places = [pd.DataFrame({"country": good["recovery_country"], "state": us_state,
                                "city_norm": good["recovery_city_norm"], "city": good["recovery_city"],
                                "zip": good["recovery_zip"]})]
        for role in ("purchaser", "possessor"):
            places.append(pd.DataFrame({"country": locations.US, "state": good[f"{role}_state"],
                                        "city_norm": good[f"{role}_city_norm"], "city": good[f"{role}_city"],
                                        "zip": good[f"{role}_zip"]}))
        geo.upsert_places(self.store, pd.concat(places, ignore_index=True), self.places_written)
        at = self._places(good)
        recoveries = self._recoveries(good, at)
        sold = good[good["dealer_dealer_key"].notna()]
        if len(sold):
            self.store.upsert_relationships("SOLD", "Dealer", "Firearm", arrow(pd.DataFrame({
                "from_key": sold["dealer_dealer_key"], "to_key": sold["firearm_key"],
                "sale_date": sold["purchase_date"], "license_number_quoted": sold["dealer_license_quoted"]}),
                rel_type="SOLD"), created_to=guns)
        self.store.upsert_relationships("RECOVERED_IN", "Firearm", "Recovery", arrow(pd.DataFrame({
            "from_key": good["firearm_key"], "to_key": good["trace_id"]})), created_from=guns, created_to=recoveries)
        # the persons last: resolved meanwhile, in their own thread, when the run could (PersonResolver.resolve_run)
        purchaser, possessor = self._people(good, guns, recoveries)
        if len(earlier):
            now = pd.DataFrame({"trace_id": good["trace_id"], "firearm_key": good["firearm_key"],
                                "purchaser_key": purchaser, "possessor_key": possessor,
                                "purchase_date": good["purchase_date"], "dealer_key": good["dealer_dealer_key"],
                                "time_to_crime_days": good["time_to_crime_days"],
                                "report_id": good["multiple_sale_report_id"]})
            fixed = corrections.replace_earlier(self.store, earlier, now, at)
            corrections.count(self.details, fixed, fixed)  # every trace correction can move a person's groups
        # after every fact of the guns is written
        straw_keys.index_firearms(self.store, good["firearm_key"], purchased=good["firearm_key"][purchaser.notna()],
                                  sold=sold["firearm_key"])
        return len(good)

    @staticmethod
    def _places(good: pd.DataFrame) -> pd.DataFrame:
        """The recovery places of each record: from_key (trace_id), to_key (its city and ZIP Location), precision."""
        us = good["recovery_country"] == locations.US
        city = locations.city_keys(good["recovery_city_norm"], good["recovery_state"].where(us),
                                   good["recovery_country"])
        at = [pd.DataFrame({"from_key": good["trace_id"], "to_key": city, "precision": "city"})]
        has_zip = good["recovery_zip"].notna()
        at.append(pd.DataFrame({"from_key": good["trace_id"][has_zip],
                                "to_key": locations.zip_keys(good["recovery_zip"][has_zip]), "precision": "zip"}))
        rows = pd.concat(at, ignore_index=True)
        return rows[rows["to_key"].notna()]

    def _recoveries(self, good: pd.DataFrame, at: pd.DataFrame) -> pa.Array | None:
        us = good["recovery_country"] == locations.US
        coords = locations.geocode(pd.DataFrame({"zip": good["recovery_zip"], "city_norm": good["recovery_city_norm"],
                                           "state": good["recovery_state"].where(us)}))
        given = good["recovery_lat"].notna()
        lat = good["recovery_lat"].where(given, coords["lat"])
        lon = good["recovery_lon"].where(given, coords["lon"])
        precision = coords["geocode_precision"].where(~given, "coordinates")
        nodes = pd.DataFrame({
            "trace_id": good["trace_id"], "request_date": good["request_date"],
            "recovery_date": good["recovery_date"], "recovery_street": good["recovery_street"],
            "recovery_city": good["recovery_city"], "recovery_state": good["recovery_state"],
            "recovery_zip": good["recovery_zip"], "recovery_country": good["recovery_country"],
            "lat": lat, "lon": lon, "geocode_precision": precision, "crime_code": good["crime_code"],
            "agency_ori": good["agency_ori"], "agency_name": good["agency_name"],
            "trace_status": good["trace_status"], "purchase_date": good["purchase_date"],
            "time_to_crime_days": good["time_to_crime_days"].astype("Int64"),
            "dealer_license_quoted": good["dealer_license_quoted"],
            "multiple_sale_report_id": good["multiple_sale_report_id"], "load_run_id": self.run_id,
        })
        created = self.store.upsert_nodes("Recovery", arrow(nodes, "Recovery")).created_keys
        if self.recoveries is not None:  # (begun: every recovery the run writes, for the stolen-hit check by key)
            self.recoveries.extend(good["trace_id"].tolist())
        self.store.upsert_relationships("AT", "Recovery", "Location", arrow(at, rel_type="AT"), created_from=created)
        return created

    @staticmethod
    def _mentions(good: pd.DataFrame) -> pd.DataFrame:
        mentions = []
        for role, has_middle in (("purchaser", True), ("possessor", False)):
            fields = {f: good[f"{role}_{f}"] for f in ("last_name", "first_name", "street", "city", "state", "zip")}
            if has_middle:
                fields["middle_name"] = good[f"{role}_middle_name"]
            fields["dob"] = to_date_objects(good[f"{role}_dob"])
            mentions.append(mentions_frame("trace:" + good["trace_id"] + ":" + role, fields))
        return nulls_as_none(pd.concat(mentions, ignore_index=True))

    def _people(self, good: pd.DataFrame, guns: pa.Array | None, recoveries: pa.Array | None
                ) -> tuple[pd.Series, pd.Series]:
        """Resolve and write the purchasers and possessors; returns each record's purchaser and possessor key."""
        keys = self.persons.resolve(self._mentions(good), self.run_id).set_index("mention_id")["person_key"]
        purchaser = ("trace:" + good["trace_id"] + ":purchaser").map(keys)
        possessor = ("trace:" + good["trace_id"] + ":possessor").map(keys)
        bought = purchaser.notna()
        if bought.any():
            rows = good[bought]
            self.store.upsert_relationships("PURCHASED", "Person", "Firearm", arrow(pd.DataFrame({
                "from_key": purchaser[bought], "to_key": rows["firearm_key"], "sale_id": "trace:" + rows["trace_id"],
                "purchase_date": rows["purchase_date"], "dealer_key": rows["dealer_dealer_key"],
                "multiple_sale": rows["multiple_sale_report_id"].notna(),
                "report_id": rows["multiple_sale_report_id"], "source": "trace"}), rel_type="PURCHASED"),
                created_to=guns)
        held = possessor.notna()
        if held.any():
            self.store.upsert_relationships("POSSESSED_BY", "Recovery", "Person", arrow(pd.DataFrame({
                "from_key": good["trace_id"][held], "to_key": possessor[held]})), created_from=recoveries)
        lives = []
        for role, keys_of in (("purchaser", purchaser), ("possessor", possessor)):
            place = locations.zip_keys(good[f"{role}_zip"]).fillna(
                locations.city_keys(good[f"{role}_city_norm"], good[f"{role}_state"]))
            lives.append(pd.DataFrame({"from_key": keys_of, "to_key": place}))
        rows = pd.concat(lives, ignore_index=True).dropna()
        if len(rows):
            self.store.upsert_relationships("LIVES_AT", "Person", "Location", arrow(rows.drop_duplicates()),
                                            created_from=self.persons.created)
        return purchaser, possessor
