"""Public means aggregate: what a TLP:CLEAR output may carry (docs/compliance.md).

Trace data may be released publicly only as aggregate statistics (the Firearms Trace System appropriations rider),
and TLP:CLEAR is the marking for what anyone may receive. So a TLP:CLEAR STIX bundle or GeoJSON collection may
hold: the producer's identity, markings and extension definitions, attack patterns, places, dealers as ATF
publishes them (the licensee listing: name, license number, premises, status) and aggregate statistics (corridor
counts by year). It may not hold a person, a firearm, a recovery or any other trace-level record, nor a figure
about one dealer's traces (trace counts, time-to-crime shares, anomaly scores).

:func:`bundle_problems` and :func:`geojson_problems` name every breach; the STIX builder refuses to emit a
TLP:CLEAR bundle with one (:func:`exports.stix.to_stix`), and ``tests/sharing/test_public_aggregate.py`` checks
the simulated world and the real public files.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from exports.tlp import MARKING_IDS, PERSONAL_FIELDS

CLEAR_MARKING = MARKING_IDS["clear"]

#: STIX object types a public bundle may hold (everything else is a record or an analytic product).
PUBLIC_TYPES = frozenset({"identity", "location", "relationship", "marking-definition", "extension-definition",
                          "attack-pattern"})
PUBLIC_IDENTITY_CLASSES = frozenset({"system", "organization"})
#: Property names that only a trace-level record carries.
TRACE_LEVEL = frozenset({"trace_id", "recovery_date", "request_date", "purchase_date", "sale_date",
                         "time_to_crime_days", "serial_number", "serial_normalized", "firearm_key", "person_key",
                         "multiple_sale_report_id", "report_id", "sale_id", "agency_ori", "agency_name",
                         "crime_code", "straw_score", "straw_rank", "straw_indicators", "network_id"})
#: Figures about one dealer's traces.
DEALER_TRACE_FIGURES = frozenset({"trace_count", "traces", "recent", "old", "short_ttc_share",
                                  "multiple_sale_share", "obliterated_share", "out_of_state_recent_share",
                                  "expected_traces", "expected", "anomaly_score", "anomaly_indicators",
                                  "relative_risk", "peer_ratio", "sales_index", "sales_index_confidence",
                                  "nearest_hotspot", "nearest_hotspot_km"})
FORBIDDEN_KEYS = PERSONAL_FIELDS | TRACE_LEVEL | DEALER_TRACE_FIGURES
#: GeoJSON layers that are aggregate (corridor counts) or public (the licensee listing).
PUBLIC_LAYERS = frozenset({"corridors", "dealers"})
#: Keys an aggregate corridor feature legitimately carries although a dealer figure shares the name.
CORRIDOR_KEYS = frozenset({"expected"})


def _keys(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, Mapping):  # plain dicts and stix2 objects alike
        for key, inner in value.items():
            yield key, f"{path}.{key}" if path else key
            yield from _keys(inner, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for inner in value:
            yield from _keys(inner, path)


def bundle_problems(objects: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every way a STIX bundle's objects break the public rule (empty: it may be published)."""
    problems: list[str] = []
    for obj in objects:
        kind, oid = obj.get("type"), obj.get("id")
        if kind not in PUBLIC_TYPES:
            problems.append(f"{oid}: a {kind} object is not aggregate")
            continue
        if kind == "identity" and obj.get("identity_class") not in PUBLIC_IDENTITY_CLASSES:
            problems.append(f"{oid}: an identity of class {obj.get('identity_class')} (a person?)")
        if kind not in ("marking-definition",) and obj.get("object_marking_refs") != [CLEAR_MARKING]:
            problems.append(f"{oid}: marked {obj.get('object_marking_refs')}, not TLP:CLEAR alone")
        for key, where in _keys(obj):
            if key in FORBIDDEN_KEYS:
                problems.append(f"{oid}: carries {where}")
    return problems


def geojson_problems(collection: dict[str, Any]) -> list[str]:
    """Every way a GeoJSON FeatureCollection breaks the public rule (empty: it may be published)."""
    problems: list[str] = []
    for feature in collection.get("features", []):
        props = feature.get("properties") or {}
        layer, fid = props.get("layer"), feature.get("id")
        if layer not in PUBLIC_LAYERS:
            problems.append(f"{fid}: the {layer} layer is not aggregate")
            continue
        allowed = CORRIDOR_KEYS if layer == "corridors" else frozenset()
        for key, where in _keys(props):
            if key in FORBIDDEN_KEYS and key not in allowed:
                problems.append(f"{fid}: carries {where}")
    return problems
