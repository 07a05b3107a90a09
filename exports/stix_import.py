"""Import STIX 2.1 objects (our bundles and partners') into the graph as ``Intel`` nodes.

Each accepted object becomes ``Intel`` (id, type, name, TLP from its markings, source, created, modified, the
object as received) linked by ``REFERS_TO`` to the firearms, recoveries, persons, dealers and locations of ours it
names (through our extensions, location names or coordinates, dealers' license numbers). With
``reconstruct=True`` firearms, locations and networks carried by our extensions are rebuilt as graph nodes.
Invalid objects are rejected with a reason (never dropped silently); a version already held (same id and
``modified``, or older) is skipped.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

import stix2

import exports.stix_extensions  # noqa: F401  (registers the firearm SDO with stix2)
from exports.stix_extensions import EXT_IDS
from exports.tlp import LEVEL_OF_MARKING, Level, most_restrictive
from graph.store import GraphStore

TLP1_MARKINGS: dict[str, Level] = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "clear",
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "green",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "amber",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "red",
}
UNMARKED: Level = "amber"  # no known TLP marking: treated as AMBER (not for further release by default)
SKIP_TYPES = ("marking-definition", "extension-definition")
_IMMUTABLE = frozenset({"artifact", "autonomous-system", "directory", "domain-name", "email-addr", "email-message",
                        "file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic", "process",
                        "software", "url", "user-account", "windows-registry-key", "x509-certificate"})
_ID = re.compile(r"^[a-z][a-z0-9-]*--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass
class ImportReport:
    received: int = 0
    imported: int = 0
    duplicates: int = 0
    structural: int = 0  # marking and extension definitions: recognised, not stored as Intel
    rejected: list[dict[str, str]] = field(default_factory=list)
    links: int = 0
    reconstructed: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"received": self.received, "imported": self.imported, "duplicates": self.duplicates,
                "structural": self.structural, "rejected": self.rejected, "links": self.links,
                "reconstructed": self.reconstructed}


def _parse_ts(value: Any) -> dt.datetime | None:
    if not value:
        return None
    if not isinstance(value, str):
        raise TypeError("timestamp is not a string")
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("timestamp lacks a time zone")
    return parsed.astimezone(dt.UTC).replace(tzinfo=None)


def tlp_of(obj: dict[str, Any]) -> Level:
    levels = [LEVEL_OF_MARKING.get(ref) or TLP1_MARKINGS.get(ref) for ref in obj.get("object_marking_refs", [])]
    known = [lvl for lvl in levels if lvl]
    return most_restrictive(*known) if known else UNMARKED


def check_object(obj: Any) -> str | None:
    """Why an object is not acceptable, or None. Parsing goes through the OASIS stix2 library."""
    if not isinstance(obj, dict):
        return "not a JSON object"
    kind, ident = obj.get("type"), obj.get("id")
    if not isinstance(kind, str) or not isinstance(ident, str) or not kind or not ident:
        return "missing type or id"
    if not _ID.match(ident) or ident.split("--", 1)[0] != kind:
        return f"id is not {kind}--<UUID>"
    refs = obj.get("object_marking_refs", [])
    if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
        return "object_marking_refs is not a list of ids"
    for stamp in ("created", "modified"):
        if stamp in obj:
            try:
                _parse_ts(obj[stamp])
            except (TypeError, ValueError):
                return f"{stamp} is not an RFC 3339 timestamp"
    if kind not in SKIP_TYPES and kind not in _IMMUTABLE and "modified" not in obj:
        return "missing modified"
    try:
        stix2.parse(obj, allow_custom=True, version="2.1")
    except Exception as exc:  # stix2 raises many exception types; all mean "invalid"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    return None


def _ext(obj: dict[str, Any], name: str) -> dict[str, Any]:
    value = (obj.get("extensions") or {}).get(EXT_IDS[name])
    return value if isinstance(value, dict) else {}


def _external_id(obj: dict[str, Any], source: str) -> str | None:
    for ref in obj.get("external_references") or []:
        if ref.get("source_name") == source and ref.get("external_id"):
            return str(ref["external_id"])
    return None


class _Index:
    """Keys of ours that incoming objects may refer to."""

    def __init__(self, store: GraphStore) -> None:
        def keys(label: str) -> set[str]:
            return set(store.node_table(label).column("key").to_pylist())

        self.firearms, self.recoveries, self.persons = keys("Firearm"), keys("Recovery"), keys("Person")
        dealers = store.node_table("Dealer", ("license_number",)).to_pylist()
        self.dealer_keys = {d["key"] for d in dealers}
        self.licenses = {d["license_number"]: d["key"] for d in dealers if d["license_number"]}
        locations = store.node_table("Location", ("name", "lat", "lon")).to_pylist()
        self.locations = {loc["key"] for loc in locations}
        self.location_names = {str(loc["name"]).upper(): loc["key"] for loc in locations if loc["name"]}
        self.coords = {(round(loc["lat"], 2), round(loc["lon"], 2)): loc["key"] for loc in locations
                       if loc["lat"] is not None and loc["lon"] is not None}

    def refers_to(self, obj: dict[str, Any]) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        kind = obj["type"]
        firearm_key = obj.get("firearm_key") or _ext(obj, "recovery").get("firearm_key")
        if firearm_key in self.firearms:
            found.append(("Firearm", firearm_key))
        trace = _ext(obj, "recovery").get("trace_id")
        if trace in self.recoveries:
            found.append(("Recovery", trace))
        person_key = _ext(obj, "person").get("person_key")
        if person_key in self.persons and not _ext(obj, "person").get("masked"):
            found.append(("Person", person_key))
        if kind == "identity":
            license_number = _external_id(obj, "atf-ffl")
            ours = _external_id(obj, "tracegraph")
            if license_number in self.licenses:
                found.append(("Dealer", self.licenses[license_number]))
            elif ours is not None and ours in self.dealer_keys:
                found.append(("Dealer", ours))
        if kind == "location":
            key = _external_id(obj, "tracegraph")
            if key not in self.locations:
                key = self.coords.get((round(obj.get("latitude", 999), 2), round(obj.get("longitude", 999), 2)))
            if key is None and obj.get("name"):
                key = self.location_names.get(str(obj["name"]).upper())
            if key is not None:
                found.append(("Location", str(key)))
        return found


def import_objects(store: GraphStore, objects: list[Any], *, source: str, reconstruct: bool = False,
                   received: dt.datetime | None = None) -> ImportReport:
    report = ImportReport(received=len(objects))
    held = {r["intel_id"]: r["modified"] for r in store.query("stix_intel_versions").rows()}
    accepted: dict[str, dict[str, Any]] = {}
    for position, obj in enumerate(objects):
        reason = check_object(obj)
        if reason:
            ident = obj.get("id") if isinstance(obj, dict) and isinstance(obj.get("id"), str) else f"#{position}"
            report.rejected.append({"id": str(ident)[:200], "reason": reason})
            continue
        if obj["type"] in SKIP_TYPES:
            report.structural += 1
            continue
        modified = _parse_ts(obj.get("modified") or obj.get("created"))
        previous = held.get(obj["id"]) or (_parse_ts(accepted[obj["id"]].get("modified"))
                                           if obj["id"] in accepted else None)
        if previous is not None and (modified is None or modified <= previous):
            report.duplicates += 1
            continue
        accepted[obj["id"]] = obj
    if reconstruct:
        report.reconstructed = _reconstruct(store, list(accepted.values()))
    now = received or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = [{"intel_id": obj["id"], "stix_type": obj["type"], "name": obj.get("name"),
             "description": obj.get("description"), "tlp": tlp_of(obj), "source": source,
             "created": _parse_ts(obj.get("created")), "modified": _parse_ts(obj.get("modified")),
             "received": now, "stix_json": json.dumps(obj, sort_keys=True)} for obj in accepted.values()]
    if rows:
        store.upsert_nodes("Intel", rows)
    report.imported = len(rows)
    index = _Index(store)
    links: dict[str, list[dict[str, str]]] = {}
    for obj in accepted.values():
        for label, key in index.refers_to(obj):
            links.setdefault(label, []).append({"from_key": obj["id"], "to_key": key})
    for label, batch in links.items():
        store.upsert_relationships("REFERS_TO", "Intel", label, batch)
        report.links += len(batch)
    return report


def _reconstruct(store: GraphStore, objects: list[dict[str, Any]]) -> dict[str, int]:
    """Rebuild firearms, locations, networks and corridors from our own extensions."""
    firearms, locations, networks = [], [], []
    fields = ("serial_number", "obliterated", "manufacturer", "importer", "model", "caliber", "weapon_type",
              "country_of_manufacture")
    for obj in objects:
        if obj["type"] == "firearm" and obj.get("firearm_key"):
            firearms.append({"firearm_key": obj["firearm_key"], **{f: obj.get(f) for f in fields}})
        elif obj["type"] == "location" and _external_id(obj, "tracegraph"):
            locations.append({"location_key": _external_id(obj, "tracegraph"), "name": obj.get("name"),
                              "lat": obj.get("latitude"), "lon": obj.get("longitude"),
                              "country": obj.get("country")})
        elif obj["type"] == "threat-actor" and _ext(obj, "network").get("network_id"):
            ext = _ext(obj, "network")
            networks.append({"network_id": ext["network_id"], "size": ext.get("size"), "score": ext.get("score"),
                             "algorithm": ext.get("algorithm"), "analysis_run_id": ext.get("analysis_run_id")})
    for label, rows in (("Firearm", firearms), ("Location", locations), ("Network", networks)):
        if rows:
            store.upsert_nodes(label, rows)
    return {"Firearm": len(firearms), "Location": len(locations), "Network": len(networks)}


def import_bundle(store: GraphStore, bundle: dict[str, Any], *, source: str,
                  reconstruct: bool = False) -> ImportReport:
    if not isinstance(bundle, dict) or bundle.get("type") != "bundle" or not isinstance(bundle.get("objects"), list):
        report = ImportReport(received=0)
        report.rejected.append({"id": str(bundle.get("id", "?") if isinstance(bundle, dict) else "?")[:200],
                                "reason": "not a STIX bundle (type bundle with an objects list)"})
        return report
    return import_objects(store, bundle["objects"], source=source, reconstruct=reconstruct)
