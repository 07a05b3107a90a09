"""The dealer transparency profile: for every dealer, **verified** facts (what ATF published: licence, status,
premises, inspections and violations with their policy context) kept apart from **estimated** ones (sales-volume
index, weapon categories, geocode, distance to the nearest crime-hotspot city, anomaly score).

Pure functions over plain tables (:class:`ProfileTables`); :func:`tables_from_store` is the one place that reads
a store. "Data as of" is the date of the latest ATF list loaded for the dealer's state (the largest
``last_verified_date`` among listed/no-longer-listed dealers of that state), so it moves with every FFL load.

Hotspot cities are the ``Location`` nodes that carry a violent-crime rate (written by the hotspots loader from
``hotspots.csv`` or ``tracegraph build-hotspots``); where none are loaded, :func:`default_hotspots` builds the
table from the shipped UCR figures. Distances are great-circle (haversine, mean Earth radius 6371.0088 km).

>>> round(float(haversine_km(40.7128, -74.0060, 39.9526, -75.1652)), 1)  # New York City hall - Philadelphia
129.6
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from algorithms.dealer_estimates import LOCAL_RADIUS_KM, sales_index, weapon_categories
from algorithms.geodesy import haversine_km
from algorithms.hotspots import HotspotRule, describe, parse_rule, select
from graph.errors import InvalidInput
from graph.store import GraphStore
from loaders.domain.policy import POLICY_END, POLICY_START, cfr_section, zero_tolerance

DEALER_PROPS = ("license_number", "license_type", "license_type_name", "license_region", "license_district",
                "license_county", "license_expiry_code", "license_expiry_month", "license_name", "business_name",
                "premise_street", "premise_city", "premise_state", "premise_zip", "premise_county", "status",
                "first_seen_date",
                "last_verified_date", "lat", "lon", "geocode_precision", "anomaly_score")
ZERO_TOLERANCE_TEXT = {
    "prohibited_transfer": "transferring a firearm to a prohibited person",
    "no_background_check": "failing to run a required background check",
    "falsified_records": "falsifying records such as Form 4473",
    "trace_request": "failing to respond to a trace request",
    "refused_inspection": "refusing to permit an ATF inspection",
}
POLICY_NAME = "2021 zero-tolerance policy (ATF Enhanced Regulatory Enforcement Policy, 2021-07-01 to 2025-04-07)"
HOTSPOT_METHOD = ("great-circle distance from the premises geocode to the nearest city carrying a violent-crime "
                  "rate (hotspots loader / UCR)")


@dataclass(frozen=True)
class ProfileTables:
    """``dealers``: dealer_key + :data:`DEALER_PROPS` (optional ``sot_class``); ``inspections``: dealer_key,
    inspection_id, inspection_date, outcome, source_document_url; ``violations``: inspection_id, violation_id,
    cfr_code, description; ``hotspots``: name, state, lat, lon, violent_crime_rate_per_100k, crime_data_year."""

    dealers: pd.DataFrame
    inspections: pd.DataFrame
    violations: pd.DataFrame
    hotspots: pd.DataFrame
    hotspot_rule: str = "every city with a violent-crime rate"  # how ``hotspots`` was chosen, in words


def hotspot_table(locations: pd.DataFrame) -> pd.DataFrame:
    """Hotspot cities out of Location rows (kind, name, state, lat, lon, violent_crime_rate_per_100k, ...)."""
    rows = locations[locations["violent_crime_rate_per_100k"].notna() & locations["lat"].notna()
                     & locations["lon"].notna()]
    return rows[["name", "state", "lat", "lon", "violent_crime_rate_per_100k", "crime_data_year"]].reset_index(
        drop=True)


def default_hotspots() -> pd.DataFrame:
    """The hotspot table built from the shipped UCR figures (latest year), for stores without hotspots loaded."""
    from loaders.domain.hotspots import hotspots_from_ucr

    table = hotspots_from_ucr().rename(columns={"city": "name", "data_year": "crime_data_year"})
    return hotspot_table(table)


def nearest_hotspot(lat: pd.Series, lon: pd.Series, hotspots: pd.DataFrame, chunk: int = 20_000) -> pd.DataFrame:
    """``nearest_hotspot`` ('CITY, ST') and ``nearest_hotspot_km`` for each point (None/NaN without coordinates)."""
    out = pd.DataFrame({"nearest_hotspot": pd.Series(None, index=lat.index, dtype=object),
                        "nearest_hotspot_km": np.nan}, index=lat.index)
    located = (lat.notna() & lon.notna()).to_numpy()
    if hotspots.empty or not located.any():
        return out
    names = (hotspots["name"].astype(str) + ", " + hotspots["state"].astype(str)).to_numpy(object)
    h_lat, h_lon = hotspots["lat"].to_numpy(float), hotspots["lon"].to_numpy(float)
    d_lat, d_lon = lat.to_numpy(float)[located], lon.to_numpy(float)[located]
    best = np.empty(len(d_lat), dtype=np.int64)
    dist = np.empty(len(d_lat))
    for start in range(0, len(d_lat), chunk):  # ~chunk x cities doubles at a time
        part = haversine_km(d_lat[start:start + chunk, None], d_lon[start:start + chunk, None], h_lat[None, :],
                            h_lon[None, :])
        best[start:start + chunk] = part.argmin(axis=1)
        dist[start:start + chunk] = part[np.arange(part.shape[0]), best[start:start + chunk]]
    index = lat.index[located]
    out.loc[index, "nearest_hotspot"] = names[best]
    out.loc[index, "nearest_hotspot_km"] = dist
    return out


def check_radius(radius_km: float) -> float:
    if not isinstance(radius_km, (int, float)) or not math.isfinite(radius_km) or radius_km <= 0:
        raise InvalidInput("the hotspot radius must be a positive number of km")
    return float(radius_km)


def near_hotspots(dealers: pd.DataFrame, hotspots: pd.DataFrame, radius_km: float) -> pd.DataFrame:
    """Dealers within ``radius_km`` of any hotspot city, nearest first: dealer_key, license_number, business_name,
    city, state, nearest_hotspot, distance_km, anomaly_score."""
    radius = check_radius(radius_km)
    near = nearest_hotspot(dealers["lat"], dealers["lon"], hotspots)
    inside = near["nearest_hotspot_km"].notna() & (near["nearest_hotspot_km"] <= radius)
    rows = dealers[inside.to_numpy()]
    frame = pd.DataFrame({
        "dealer_key": rows["dealer_key"], "license_number": rows["license_number"],
        "business_name": rows["business_name"].where(rows["business_name"].notna(), rows["license_name"]),
        "city": rows["premise_city"], "state": rows["premise_state"],
        "nearest_hotspot": near.loc[inside, "nearest_hotspot"], "distance_km": near.loc[inside, "nearest_hotspot_km"],
        "anomaly_score": rows.get("anomaly_score")})
    return frame.sort_values(["distance_km", "dealer_key"]).reset_index(drop=True)


def data_as_of(dealers: pd.DataFrame) -> pd.Series:
    """Per dealer: the date of the latest ATF list loaded for its premises state (else for any state)."""
    latest: dict[Any, dt.date] = {}
    for state, status, day in zip(dealers["premise_state"], dealers["status"], dealers["last_verified_date"],
                                  strict=True):
        if status not in ("LISTED", "NOT_LISTED") or day is None or pd.isna(day):
            continue
        day = day if isinstance(day, dt.date) else pd.Timestamp(day).date()
        if state not in latest or day > latest[state]:
            latest[state] = day
    overall = max(latest.values(), default=None)
    return pd.Series([latest.get(state, overall) for state in dealers["premise_state"]], index=dealers.index,
                     dtype=object)


def expiry_end(month: str | None) -> dt.date | None:
    """'YYYY-MM' (``Dealer.license_expiry_month``) -> last day of that month; None when not of that form."""
    if not isinstance(month, str) or len(month) != 7 or month[4] != "-":
        return None
    year_text, month_text = month[:4], month[5:]
    if not (year_text.isdigit() and month_text.isdigit()) or not 1 <= int(month_text) <= 12 or int(year_text) < 1:
        return None
    year, number = int(year_text), int(month_text)
    return dt.date(year, number, calendar.monthrange(year, number)[1])


def violation_context(inspection_date: dt.date | None, cfr_code: str | None) -> dict[str, Any]:
    """Zero-tolerance category of a cited 27 CFR section and the policy it was cited under, in words."""
    section = cfr_section(cfr_code or "")
    category = zero_tolerance(pd.Series([section], dtype=object)).iloc[0] if section else None
    if category is None:
        text = f"27 CFR {section}: not one of the five zero-tolerance violations" if section else None
        return {"cfr_citation": f"27 CFR {section}" if section else None, "zero_tolerance_category": None,
                "policy_context": text}
    what = f"27 CFR {section} ({ZERO_TOLERANCE_TEXT[category]})"
    if inspection_date is None:
        text = f"{what} is a zero-tolerance violation; inspection date unknown"
    elif inspection_date < POLICY_START:
        text = f"{what} is a zero-tolerance violation, cited before that policy took effect ({POLICY_START})"
    elif inspection_date >= POLICY_END:
        text = f"{what} is a zero-tolerance violation, cited after the policy's repeal ({POLICY_END})"
    else:
        text = f"cited under the {POLICY_NAME}: {what}"
    return {"cfr_citation": f"27 CFR {section}", "zero_tolerance_category": category, "policy_context": text}


def inspection_entry(inspection: dict[str, Any], violations: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """One inspection with its violations, each carrying its citation and policy context."""
    day = inspection.get("inspection_date")
    day = day if isinstance(day, dt.date) or day is None else pd.Timestamp(day).date()
    if day is None:
        period = None
    elif day < POLICY_START:
        period = f"before the zero-tolerance policy ({POLICY_START})"
    elif day >= POLICY_END:
        period = f"after the zero-tolerance policy's repeal ({POLICY_END})"
    else:
        period = f"under the {POLICY_NAME}"
    cited = [{"violation_id": v.get("violation_id"), "cfr_code": v.get("cfr_code"),
              "description": v.get("description"), **violation_context(day, v.get("cfr_code"))}
             for v in sorted(violations, key=lambda v: str(v.get("violation_id")))]
    return {"inspection_id": inspection.get("inspection_id"), "inspection_date": day,
            "outcome": inspection.get("outcome"), "outcome_given": inspection.get("outcome_given"),
            "source_document_url": inspection.get("source_document_url"),
            "policy_period": period, "violations": cited}


def inspection_history(inspections: pd.DataFrame, violations: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """dealer_key -> its inspections (oldest first), violations attached."""
    cited: dict[str, list[dict[str, Any]]] = {}
    for row in violations.to_dict("records"):
        cited.setdefault(str(row["inspection_id"]), []).append(_clean(row))
    history: dict[str, list[dict[str, Any]]] = {}
    for row in map(_clean, inspections.to_dict("records")):
        entry = inspection_entry(row, cited.get(str(row["inspection_id"]), []))
        history.setdefault(str(row["dealer_key"]), []).append(entry)
    for entries in history.values():
        entries.sort(key=lambda e: (str(e["inspection_date"] or ""), str(e["inspection_id"])))
    return history


def estimate_table(tables: ProfileTables) -> pd.DataFrame:
    """The vectorised estimates for every dealer (index = dealer_key): sales index and confidence, local dealer
    count, nearest hotspot and distance, and the data-as-of date."""
    dealers = tables.dealers.reset_index(drop=True)
    as_of = data_as_of(dealers)
    latest = max((d for d in as_of if d is not None), default=None)
    frame = pd.concat([sales_index(dealers, latest), nearest_hotspot(dealers["lat"], dealers["lon"],
                                                                     tables.hotspots)], axis=1)
    frame["data_as_of"] = as_of
    frame.index = dealers["dealer_key"].astype(str)
    return frame


def profile(dealer: dict[str, Any], estimates: dict[str, Any], history: list[dict[str, Any]],
            hotspot_rule: str = "") -> dict[str, Any]:
    """``{"verified": ..., "estimated": ...}`` for one dealer (``dealer``: a row of ProfileTables.dealers)."""
    as_of = estimates.get("data_as_of")
    end = expiry_end(dealer.get("license_expiry_month"))
    last = dealer.get("last_verified_date")
    verified = {
        "license_number": dealer.get("license_number"), "dealer_key": dealer.get("dealer_key"),
        "license_name": dealer.get("license_name"), "business_name": dealer.get("business_name"),
        "license_type": dealer.get("license_type"), "license_type_name": dealer.get("license_type_name"),
        "license_expiry_code": dealer.get("license_expiry_code"),
        "license_expiry_month": dealer.get("license_expiry_month"),
        "license_expired": None if end is None or as_of is None else end < as_of,
        "list_status": dealer.get("status"), "on_latest_list": None if as_of is None else last == as_of,
        "premise_street": dealer.get("premise_street"), "premise_city": dealer.get("premise_city"),
        "premise_state": dealer.get("premise_state"), "premise_zip": dealer.get("premise_zip"),
        "premise_county": dealer.get("premise_county"),
        "first_seen_date": dealer.get("first_seen_date"), "last_verified_date": last, "data_as_of": as_of,
        "source": "ATF Listing of Federal Firearms Licensees; ATF inspection reports",
        "inspections": history,
    }
    categories, notes = weapon_categories(dealer.get("license_type"), dealer.get("premise_state"),
                                          as_of, dealer.get("sot_class"))
    km = _number(estimates.get("nearest_hotspot_km"))
    estimated = {
        "sales_index": _number(estimates.get("sales_index")),
        "sales_index_confidence": _number(estimates.get("sales_index_confidence")),
        "sales_index_method": estimates.get("method"),
        "local_dealing_licensees": _int(estimates.get("local_dealers")), "local_radius_km": LOCAL_RADIUS_KM,
        "weapon_categories": categories, "weapon_category_notes": notes,
        "weapon_category_method": "licence type (27 CFR 478.11) and SOT class where known, minus state bans",
        "lat": _number(dealer.get("lat")), "lon": _number(dealer.get("lon")),
        "geocode_precision": dealer.get("geocode_precision"),
        "nearest_hotspot": _text(estimates.get("nearest_hotspot")),
        "nearest_hotspot_km": None if km is None else round(km, 2),
        "nearest_hotspot_method": f"{HOTSPOT_METHOD}; {hotspot_rule}" if hotspot_rule else HOTSPOT_METHOD,
        "anomaly_score": _number(dealer.get("anomaly_score")),
    }
    return {"verified": verified, "estimated": estimated}


def profiles(tables: ProfileTables, keys: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Profiles of ``keys`` (default: every dealer), in dealer_key order."""
    estimates = estimate_table(tables)
    history = inspection_history(tables.inspections, tables.violations)
    dealers = tables.dealers.assign(dealer_key=tables.dealers["dealer_key"].astype(str)).set_index(
        "dealer_key", drop=False)
    wanted = sorted(set(keys)) if keys is not None else sorted(dealers.index)
    found = [k for k in wanted if k in dealers.index]
    rows = dealers.loc[found].to_dict("records")
    est = estimates.loc[found].to_dict("records")
    return [json_safe(profile(_clean(d), _clean(e), history.get(k, []), tables.hotspot_rule))
            for k, d, e in zip(found, rows, est, strict=True)]


def flat(profile_: dict[str, Any]) -> dict[str, Any]:
    """One CSV row: ``verified_*`` and ``estimated_*`` columns; lists joined with '; ', the inspection history
    as counts plus compact JSON. Zero tolerance: ``verified_zero_tolerance_category_citations`` counts citations
    in the five categories whenever cited; ``verified_zero_tolerance_citations_under_policy`` those of them cited
    while the policy was in force (2021-07-01 to 2025-04-07)."""
    row: dict[str, Any] = {}
    for part in ("verified", "estimated"):
        for name, value in profile_[part].items():
            if name == "inspections":
                five = [v for i in value for v in i["violations"] if v.get("zero_tolerance_category")]
                row["verified_inspection_count"] = len(value)
                row["verified_violation_count"] = sum(len(i["violations"]) for i in value)
                row["verified_zero_tolerance_category_citations"] = len(five)
                row["verified_zero_tolerance_citations_under_policy"] = sum(
                    1 for v in five if str(v.get("policy_context") or "").startswith("cited under"))
                row["verified_inspection_history"] = json.dumps(value, default=str, sort_keys=True)
            elif isinstance(value, list):
                row[f"{part}_{name}"] = "; ".join(str(v) for v in value)
            else:
                row[f"{part}_{name}"] = value
    return row


def tables_from_store(store: GraphStore, rule: HotspotRule | None = None) -> ProfileTables:
    """Read the dealer, inspection, violation and hotspot tables (the hotspots fall back to the UCR default),
    the hotspots chosen by ``rule`` (default :data:`algorithms.hotspots.DEFAULT_RULE`)."""
    dealers = store.node_table("Dealer", DEALER_PROPS).to_pandas().rename(columns={"key": "dealer_key"})
    inspections = store.node_table("Inspection", ("inspection_date", "outcome", "outcome_given",
                                                  "source_document_url")).to_pandas()
    inspected = store.edge_list("INSPECTED", "Dealer", "Inspection").to_pandas()
    inspections = inspected.rename(columns={"src": "dealer_key", "dst": "inspection_id"}).merge(
        inspections.rename(columns={"key": "inspection_id"}), on="inspection_id", how="left")
    violations = store.node_table("Violation", ("cfr_code", "description")).to_pandas()
    cited = store.edge_list("CITED", "Inspection", "Violation").to_pandas()
    violations = cited.rename(columns={"src": "inspection_id", "dst": "violation_id"}).merge(
        violations.rename(columns={"key": "violation_id"}), on="violation_id", how="left")
    locations = store.node_table("Location", ("name", "state", "lat", "lon", "violent_crime_rate_per_100k",
                                              "crime_data_year")).to_pandas()
    chosen, text = hotspots(locations, rule)
    return ProfileTables(dealers, inspections, violations, chosen, text)


def hotspots(locations: pd.DataFrame, rule: HotspotRule | None = None) -> tuple[pd.DataFrame, str]:
    """The hotspot cities among Location rows by ``rule`` (the shipped UCR figures when none carry a rate), and
    the rule in words."""
    cities = hotspot_table(locations)
    cities = cities if len(cities) else default_hotspots()
    rule = rule or parse_rule(None)
    chosen = select(cities, rule).reset_index(drop=True)
    return chosen, describe(rule, cities, chosen)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def json_safe(value: Any) -> Any:
    """Nested dicts/lists with every NaN/inf/NA as None and numpy scalars as Python values: strict JSON.

    >>> json_safe({"a": [float("nan"), 1.5], "b": pd.NA})
    {'a': [None, 1.5], 'b': None}
    """
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _number(value: Any) -> float | None:
    if value is None or value is pd.NA:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _int(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)) else v)
            for k, v in row.items()}
