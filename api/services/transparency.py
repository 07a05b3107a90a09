"""The dealer transparency profile for the API, computed with :mod:`algorithms.dealer_profile` over the snapshot.

The per-dealer estimates need every dealer (local density, data-as-of per state) and the hotspot cities, so they
are computed once per snapshot, on the first profile request, and kept until the snapshot is rebuilt. Verified
facts follow the Dealer/Inspection/Violation markings (CLEAR); the estimated block is analytic output
(:data:`exports.tlp.COMPUTED_TLP`) and is withheld from callers not cleared for it.
"""

from __future__ import annotations

import threading
from typing import Any

import pandas as pd

from algorithms.dealer_profile import (
    ProfileTables,
    estimate_table,
    flat,
    hotspots,
    inspection_entry,
    json_safe,
    profile,
)
from algorithms.hotspots import parse_rule
from api.services import models as m
from api.services.release import Release
from api.services.snapshot import Snapshot

_LOCK = threading.Lock()
_CACHE: dict[str, Any] = {}


def estimates(snapshot: Snapshot) -> dict[str, dict[str, Any]]:
    """Per dealer key, the estimated part of the profile (computed once per snapshot; a dict: a ``.loc`` per
    request cost a fifth of a dealer request)."""
    with _LOCK:
        if _CACHE.get("snapshot") is snapshot:
            cached: dict[str, dict[str, Any]] = _CACHE["estimates"]
            return cached
        dealers = snapshot.nodes["Dealer"].table.to_pandas()
        locations = snapshot.nodes["Location"].table.to_pandas()
        chosen, rule = hotspots(locations, parse_rule(None))  # the default rule (docs/analytics.md)
        table = estimate_table(ProfileTables(dealers, pd.DataFrame(), pd.DataFrame(), chosen, rule))
        rows = {str(key): {**row, "hotspot_rule": rule}
                for key, row in zip(table.index, json_safe(table.to_dict("records")), strict=True)}
        _CACHE.clear()
        _CACHE.update(snapshot=snapshot, estimates=rows)
        return rows


def dealer_profile(snapshot: Snapshot, release: Release, key: str, dealer: dict[str, Any]) -> dict[str, Any]:
    """The profile dict of one dealer (raw node properties) as this caller may receive it, plus ``withheld``."""
    history = []
    for inspection in snapshot.nodes["Inspection"].many(snapshot.inspections_of.get(key, [])):
        if release.node("Inspection", inspection) is None:
            continue
        violations = [v for v in snapshot.nodes["Violation"].many(
            snapshot.violations_of.get(inspection["inspection_id"], [])) if release.node("Violation", v)]
        history.append(inspection_entry(inspection, violations))
    history.sort(key=lambda e: (str(e["inspection_date"] or ""), str(e["inspection_id"])))
    row = dict(estimates(snapshot).get(key, {}))
    result = json_safe(profile({**dealer, "dealer_key": key}, row, history, str(row.get("hotspot_rule") or "")))
    result["withheld"] = []
    if not release.scores:
        result["estimated"] = None
        result["withheld"] = ["estimated"]
    return result


def transparency(snapshot: Snapshot, release: Release, key: str, dealer: dict[str, Any]) -> m.DealerTransparency:
    return m.DealerTransparency.model_validate(dealer_profile(snapshot, release, key, dealer))


def profile_csv_row(snapshot: Snapshot, release: Release, key: str, dealer: dict[str, Any]) -> dict[str, Any]:
    """One CSV row (``verified_*`` / ``estimated_*`` columns); withheld parts are left out."""
    result = dealer_profile(snapshot, release, key, dealer)
    withheld = result.pop("withheld")
    if result["estimated"] is None:
        result["estimated"] = {}
    row = flat(result)
    row["withheld"] = "; ".join(withheld)
    return row
