"""Dealer inspections and violations: ``inspections.csv``, ``violations.csv`` and the real 2015-2017 inspection
reports (The Trace / USA Today, ``.ndjson``: one report per line, violations as comma-separated 27 CFR cites).

Policy context (ATF's zero-tolerance period and its five violations) comes from the inspection date: see
:mod:`loaders.domain.policy`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pandas as pd

from graph.errors import InvalidInput
from graph.store import GraphStore
from loaders import corrections
from loaders.base import Batch, Loader, read_delimited, reasons_from, require_text
from loaders.domain.parsing import parse_dates, parse_licenses, parse_numbers, text
from loaders.domain.policy import cfr_section, policy_context, zero_tolerance
from loaders.entities import DealerIndex, license_columns
from loaders.frames import arrow

OUTCOMES = ("No Violations", "Report of Violations", "Warning Letter", "Warning Conference", "Settlement",
            "License Revoked", "License Surrendered")
# The disposition as given is always kept beside the normalised outcome (Inspection.outcome_given).
_OUTCOME_LOOKUP = {o.upper(): o for o in OUTCOMES} | {
    "REVOCATION/DENIAL OF RENEWAL": "License Revoked", "REVOCATION": "License Revoked",
    "SURRENDERED/OUT OF BUSINESS": "License Surrendered",
}
#: Fields of an inspection report (ndjson) kept as they come: every one the file carries.
NDJSON_FIELDS = ("ui_number", "ffl_number", "ffl_type", "ffl_proprietor", "ffl_proprietor_2", "ffl_address",
                 "ffl_city", "ffl_state", "ffl_zip", "ffl_county", "inspection_assign_date",
                 "inspection_complete_date", "final_disposition", "final_disposition_2", "revocation_warranted",
                 "revocation_recommended", "revocation_effective_date", "violations", "citation_count", "report_url",
                 "latitude", "longitude", "license_type", "license_desc")
#: ndjson field -> the column name the CSV layout (and validate) uses.
_NDJSON_AS_CSV = {"ui_number": "inspection_id", "ffl_number": "license_number", "final_disposition": "outcome",
                  "report_url": "source_document_url", "inspection_assign_date": "assigned_date",
                  "ffl_proprietor": "license_name", "ffl_proprietor_2": "business_name",
                  "ffl_address": "premise_street", "ffl_city": "premise_city", "ffl_state": "premise_state",
                  "ffl_zip": "premise_zip", "ffl_county": "premise_county", "latitude": "lat", "longitude": "lon",
                  "license_desc": "license_type_name"}
#: Dealer facts an inspection record may carry (written only to dealers no ATF list has described).
DEALER_FACTS = ("license_name", "business_name", "premise_street", "premise_city", "premise_state", "premise_zip",
                "premise_county", "lat", "lon", "license_type_name")
class InspectionsLoader(Loader):
    kind = "inspections"
    required = ("inspection_id", "license_number", "inspection_date", "outcome")

    @property
    def is_ndjson(self) -> bool:
        return self.path.suffix.lower() in (".ndjson", ".json", ".jsonl")

    def batches(self, encoding: str) -> Iterator[Batch]:
        if not self.is_ndjson:
            return read_delimited(self.path, encoding, self.options.batch_rows, self.required, self.kind)
        return self._ndjson(encoding)

    def _ndjson(self, encoding: str) -> Iterator[Batch]:
        require_text(self.path, encoding, "newline-delimited JSON")
        names = list(NDJSON_FIELDS)
        rows: list[list[str]] = []
        lines: list[int] = []
        bad: list[tuple[int, list[str], str]] = []
        with self.path.open(encoding="utf-8-sig" if encoding == "utf-8-sig" else encoding) as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    if not isinstance(record, dict):
                        raise ValueError
                except ValueError:
                    bad.append((number, [line.rstrip("\n")], "not a JSON object"))
                    continue
                rows.append([_json_text(record.get(n)) for n in names])
                lines.append(number)
                if len(rows) >= self.options.batch_rows:
                    yield Batch(pd.DataFrame(rows, columns=names, dtype=object), np.array(lines), names, bad)
                    rows, lines, bad = [], [], []
        if not lines and not bad:
            raise InvalidInput(f"{self.path.name}: no JSON records")
        yield Batch(pd.DataFrame(rows, columns=names, dtype=object), np.array(lines, dtype=int), names, bad)

    def begin(self) -> None:
        self.dealers = DealerIndex(self.store)
        status = self.store.node_table("Dealer", ("status",)).to_pandas()
        self.listed = set(status.loc[status["status"].isin(("LISTED", "NOT_LISTED")), "key"])
        self.seen: set[str] = set()
        self.violations = 0
        self.lists_inline = self.is_ndjson
        self.dealers_located = 0

    def finish(self) -> None:
        self.details.update({"dealer_stubs_created": self.dealers.stubs_created, "violations": self.violations,
                             "dealers_given_premises": self.dealers_located})

    def validate(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
        if self.is_ndjson:
            renamed = frame.rename(columns=_NDJSON_AS_CSV)
            frame = renamed.assign(inspection_date=frame["inspection_complete_date"].where(
                frame["inspection_complete_date"].str.strip() != "", frame["inspection_assign_date"]))
        checks: list[tuple[pd.Series, str]] = []
        # a report (a line of the .ndjson, or a csv with a violations column) lists its violations inline: all of them
        self.lists_inline = self.is_ndjson or "violations" in frame.columns
        inspection = text(frame, "inspection_id")
        checks.append((inspection.isna(), "missing inspection_id"))
        checks.append(((inspection.duplicated() | inspection.isin(self.seen)) & inspection.notna(),
                       "duplicate inspection_id in file"))
        self.seen.update(inspection.dropna().tolist())
        licenses, bad_license = parse_licenses(text(frame, "license_number"), allow_short=True)
        checks.append((licenses["dealer_key"].isna() & ~bad_license, "missing license_number"))
        checks.append((bad_license, "unparseable license number"))
        dates, bad_date = parse_dates(text(frame, "inspection_date"))
        checks.append((bad_date, "bad date in inspection_date"))
        checks.append((dates.isna() & ~bad_date, "missing inspection_date"))
        raw_outcome = text(frame, "outcome")
        outcome = raw_outcome.str.upper().str.strip().map(_OUTCOME_LOOKUP).astype(object)
        checks.append((outcome.isna(), f"outcome must be one of: {', '.join(OUTCOMES)}"))
        context, period = policy_context(dates)
        assigned, bad_assigned = parse_dates(text(frame, "assigned_date"))
        checks.append((bad_assigned, "bad date in assigned_date"))
        revoked_on, bad_revoked = parse_dates(text(frame, "revocation_effective_date"))
        checks.append((bad_revoked, "bad date in revocation_effective_date"))
        parsed = pd.DataFrame({"inspection_id": inspection, "inspection_date": dates, "outcome": outcome,
                               "outcome_given": raw_outcome, "source_document_url": text(frame, "source_document_url"),
                               "policy_context": context, "zero_tolerance_period": period,
                               "assigned_date": assigned, "revocation_effective_date": revoked_on,
                               "revocation_recommended": _flag(text(frame, "revocation_recommended")).where(
                                   text(frame, "revocation_recommended").notna(),
                                   _flag(text(frame, "revocation_warranted"))),
                               "violations": text(frame, "violations")}, index=frame.index)
        counts, bad_count = parse_numbers(text(frame, "citation_count"), 0, None)
        checks.append((bad_count, "citation_count is not a count"))
        parsed["citation_count"] = counts.astype("Int64")
        for name in DEALER_FACTS:
            parsed[f"facts_{name}"] = text(frame, name)
        for name, low, high in (("lat", -90, 90), ("lon", -180, 180)):
            parsed[f"facts_{name}"], bad = parse_numbers(text(frame, name), low, high)
            checks.append((bad, f"{'latitude' if name == 'lat' else 'longitude'} not a number in range"))
        for name in licenses.columns:
            parsed[f"dealer_{name}"] = licenses[name]
        return parsed, reasons_from(checks, frame.index)

    def load(self, good: pd.DataFrame) -> int:
        lic = license_columns(good, "dealer_")
        self.dealers.ensure(lic[lic["license_number"].notna()], self.run_id)
        short = lic[lic["license_number"].isna()]
        if len(short):  # short-form references to dealers never seen: stub with the key only
            stub = short[self.dealers.unknown(short["dealer_key"])].drop_duplicates("dealer_key")
            if len(stub):
                self.store.upsert_nodes("Dealer", arrow(pd.DataFrame({
                    "dealer_key": stub["dealer_key"], "status": "UNLISTED", "load_run_id": self.run_id}), "Dealer"))
                self.dealers.known.update(stub["dealer_key"])
        self._dealer_facts(good, lic)
        nodes = good[["inspection_id", "inspection_date", "outcome", "outcome_given", "assigned_date",
                      "revocation_recommended", "revocation_effective_date", "citation_count", "source_document_url",
                      "policy_context", "zero_tolerance_period"]].assign(load_run_id=self.run_id)
        earlier = corrections.inspection_versions(self.store, good["inspection_id"])  # loaded before: rare
        self.store.upsert_nodes("Inspection", arrow(nodes, "Inspection"))
        inspected = pd.DataFrame({"from_key": good["dealer_dealer_key"], "to_key": good["inspection_id"]})
        self.store.upsert_relationships("INSPECTED", "Dealer", "Inspection", arrow(inspected))
        if len(earlier):  # an inspections load makes the next analysis a full one anyway
            other = corrections.replace_earlier_inspections(self.store, earlier, pd.DataFrame({
                "inspection_id": good["inspection_id"], "dealer_key": good["dealer_dealer_key"]}))
            corrections.count(self.details, other, other)
        cited = good[good["violations"].notna()]
        violations = pd.DataFrame(columns=["violation_id", "inspection_id", "cfr_code", "description"])
        if len(cited):
            exploded = cited[["inspection_id", "violations"]].assign(
                cite=cited["violations"].str.split(",")).explode("cite")
            exploded["cfr"] = exploded["cite"].map(cfr_section)
            exploded = exploded[exploded["cfr"] != ""].drop_duplicates(["inspection_id", "cfr"])
            violations = pd.DataFrame({"violation_id": exploded["inspection_id"] + ":" + exploded["cfr"],
                                       "inspection_id": exploded["inspection_id"], "cfr_code": exploded["cfr"],
                                       "description": None})
            self.violations += write_violations(self.store, violations, self.run_id)
        if self.lists_inline:
            self._replace_listed(good["inspection_id"], violations)
        return len(good)

    def _replace_listed(self, inspections: pd.Series, violations: pd.DataFrame) -> None:
        earlier = corrections.cited_versions(self.store, inspections)
        if earlier.empty:
            return
        listed = pd.concat([violations[["inspection_id", "violation_id"]],
                            pd.DataFrame({"inspection_id": inspections, "violation_id": None})], ignore_index=True)
        fewer = corrections.replace_earlier_violations(self.store, earlier, listed)
        corrections.count(self.details, fewer, fewer)


    def _dealer_facts(self, good: pd.DataFrame, lic: pd.DataFrame) -> None:
        """Name, premises, county and coordinates from the inspection record, for dealers no ATF list has
        described (stubs): the list is the authority where it exists. The latest inspection of a dealer wins."""
        facts = pd.DataFrame({name: good[f"facts_{name}"] for name in DEALER_FACTS}, index=good.index)
        facts["dealer_key"] = good["dealer_dealer_key"]
        facts["license_type"] = lic["type"]
        facts["inspection_date"] = good["inspection_date"]
        facts = facts[facts["dealer_key"].notna() & ~facts["dealer_key"].isin(self.listed)]
        facts = facts.sort_values("inspection_date", kind="stable").drop_duplicates("dealer_key", keep="last")
        facts = facts.drop(columns="inspection_date")
        facts["premise_state"] = facts["premise_state"].str.upper()
        located = facts["lat"].notna() & facts["lon"].notna()
        facts["geocode_precision"] = pd.Series("address", index=facts.index, dtype=object).where(located, None)
        if len(facts):
            self.store.upsert_nodes("Dealer", arrow(facts.assign(load_run_id=self.run_id), "Dealer"))
            self.dealers_located += int(located.sum())


def _flag(values: pd.Series) -> pd.Series:
    """'Y'/'N'/'true'/'false' -> bool (None when missing or unreadable)."""
    lookup = {"Y": True, "YES": True, "TRUE": True, "1": True, "N": False, "NO": False, "FALSE": False, "0": False}
    return values.str.strip().str.upper().map(lookup).astype(object)


def write_violations(store: GraphStore, violations: pd.DataFrame, run_id: str) -> int:
    category = zero_tolerance(violations["cfr_code"].map(cfr_section))
    nodes = pd.DataFrame({"violation_id": violations["violation_id"], "cfr_code": violations["cfr_code"],
                          "description": violations["description"], "zero_tolerance": category.notna(),
                          "zero_tolerance_category": category, "load_run_id": run_id})
    store.upsert_nodes("Violation", arrow(nodes, "Violation"))
    store.upsert_relationships("CITED", "Inspection", "Violation", arrow(pd.DataFrame({
        "from_key": violations["inspection_id"], "to_key": violations["violation_id"]})))
    return len(nodes)


class ViolationsLoader(Loader):
    """``violations.csv``: ``violation_id, inspection_id, cfr_code, description``; the inspection must be loaded."""

    kind = "violations"
    required = ("violation_id", "inspection_id", "cfr_code")

    def begin(self) -> None:
        self.inspections = set(self.store.node_table("Inspection").column("key").to_pylist())
        self.seen: set[str] = set()

    def validate(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
        checks: list[tuple[pd.Series, str]] = []
        violation, inspection, cfr = text(frame, "violation_id"), text(frame, "inspection_id"), text(frame, "cfr_code")
        checks.append((violation.isna(), "missing violation_id"))
        checks.append(((violation.duplicated() | violation.isin(self.seen)) & violation.notna(),
                       "duplicate violation_id in file"))
        self.seen.update(violation.dropna().tolist())
        checks.append((inspection.isna(), "missing inspection_id"))
        checks.append((inspection.notna() & ~inspection.isin(self.inspections), "inspection_id names an unknown "
                       "inspection"))
        checks.append((cfr.isna(), "missing cfr_code"))
        checks.append((cfr.notna() & ~cfr.map(cfr_section, na_action="ignore").astype("str").str.match(
            r"^\d{2,3}\.\d", na=False), "cfr_code is not a 27 CFR section (e.g. 478.99(c))"))
        parsed = pd.DataFrame({"violation_id": violation, "inspection_id": inspection, "cfr_code": cfr,
                               "description": text(frame, "description")}, index=frame.index)
        return parsed, reasons_from(checks, frame.index)

    def load(self, good: pd.DataFrame) -> int:
        return write_violations(self.store, good, self.run_id)


def _json_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)
