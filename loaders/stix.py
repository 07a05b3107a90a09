"""STIX 2.1 bundles (ours and partners') in as ``Intel`` nodes: a loader like every other (``tracegraph load stix
FILE``; TAXII polls land here too, :mod:`loaders.taxii`).

Each object of the bundle is one record: ``read`` counts the objects, ``line`` in the rejects file is the object's
position in the bundle (1 = first). An accepted object becomes ``Intel`` (id, type, name, TLP from its markings,
source, created, modified, the object as received, the load run) linked by ``REFERS_TO`` to the firearms,
recoveries, persons, dealers and locations of ours it names (through our extensions, location names or
coordinates, dealers' license numbers). With ``LoadOptions.reconstruct`` firearms, locations and networks carried
by our extensions are rebuilt as graph nodes.

* rejected (with the reason, the object verbatim in the rejects file): an object the OASIS ``stix2`` library does
  not accept, a bad id or timestamp, a missing ``modified`` on a versioned object;
* skipped: marking and extension definitions (recognised, not stored as Intel);
* loaded: every other object. A version the graph already holds (same id and ``modified``, or older) is loaded
  without being written again (``details.already_held``), so re-loading a bundle changes nothing, as re-loading
  any file does; ``details.new_versions`` counts the objects written.

A file that is not a STIX bundle (JSON with ``type: bundle`` and an ``objects`` list) is refused with one line.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import stix2

import exports.stix_extensions  # noqa: F401  (registers the firearm SDO with stix2)
from exports.stix_extensions import EXT_IDS
from exports.tlp import LEVEL_OF_MARKING, Level, most_restrictive
from graph.errors import InvalidInput
from graph.store import GraphStore
from loaders.base import Batch, Loader, require_text

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


def read_bundle(path: Any, encoding: str) -> list[Any]:
    """The ``objects`` of a STIX bundle file; anything else is refused with one line."""
    require_text(path, encoding, "a STIX bundle (JSON)")
    try:
        bundle = json.loads(path.read_text(encoding="utf-8-sig" if encoding == "utf-8-sig" else encoding))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InvalidInput(f"{path.name}: not JSON ({str(exc).splitlines()[0][:120]})") from None
    if not isinstance(bundle, dict) or bundle.get("type") != "bundle" or not isinstance(bundle.get("objects"), list):
        raise InvalidInput(f"{path.name}: not a STIX bundle (JSON with type bundle and an objects list)")
    return list(bundle["objects"])


def _verbatim(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str)


class StixLoader(Loader):
    """A STIX 2.1 bundle file -> ``Intel`` (+ ``REFERS_TO``), one object per record."""

    kind = "stix"
    required = ("object",)

    def source(self) -> str:
        """What ``Intel.source`` says: the option if given, else the file."""
        return self.options.intel_source or f"file:{self.path.name}"

    def batches(self, encoding: str) -> Iterator[Batch]:
        objects = read_bundle(self.path, encoding)
        size = self.options.batch_rows
        for start in range(0, max(len(objects), 1), size):
            chunk = objects[start:start + size]
            keep: list[str] = []
            lines: list[int] = []
            bad: list[tuple[int, list[str], str]] = []
            skipped = 0
            for position, obj in enumerate(chunk, start=start + 1):
                if isinstance(obj, dict) and obj.get("type") in SKIP_TYPES:
                    reason = check_object(obj)
                    if reason is None:
                        skipped += 1  # marking / extension definitions: structure, not intelligence
                    else:
                        bad.append((position, [_verbatim(obj)], reason))
                    continue
                keep.append(_verbatim(obj))
                lines.append(position)
            frame = pd.DataFrame({"object": pd.Series(keep, dtype=object)})
            yield Batch(frame, np.array(lines, dtype=np.int64), ["object"], bad, skipped)

    def begin(self) -> None:
        self.held: dict[str, dt.datetime | None] = {
            r["intel_id"]: r["modified"] for r in self.store.query("stix_intel_versions").rows()}
        self.details.update({"source": self.source(), "new_versions": 0, "already_held": 0, "links": 0})
        if self.options.reconstruct:
            self.details["reconstructed"] = {"Firearm": 0, "Location": 0, "Network": 0}

    def validate(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
        parsed = [json.loads(text) for text in frame["object"]]
        reasons = pd.Series([check_object(obj) for obj in parsed], index=frame.index, dtype=object)
        return pd.DataFrame({"object": pd.Series(parsed, index=frame.index, dtype=object)}), reasons

    def load(self, good: pd.DataFrame) -> int:
        fresh: dict[str, dict[str, Any]] = {}
        for obj in good["object"]:
            modified = _parse_ts(obj.get("modified") or obj.get("created"))
            previous = self.held.get(obj["id"])
            if obj["id"] in self.held and (modified is None or previous is None or modified <= previous):
                self.details["already_held"] += 1
                continue
            fresh[obj["id"]] = obj
            self.held[obj["id"]] = modified
        objects = list(fresh.values())
        if self.options.reconstruct:
            for label, count in _reconstruct(self.store, objects).items():
                self.details["reconstructed"][label] += count
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
        rows = [{"intel_id": obj["id"], "stix_type": obj["type"], "name": obj.get("name"),
                 "description": obj.get("description"), "tlp": tlp_of(obj), "source": self.source(),
                 "created": _parse_ts(obj.get("created")), "modified": _parse_ts(obj.get("modified")),
                 "received": now, "stix_json": json.dumps(obj, sort_keys=True), "load_run_id": self.run_id}
                for obj in objects]
        if rows:
            self.store.upsert_nodes("Intel", rows)
            self.details["new_versions"] += len(rows)
            index = _Index(self.store)
            links: dict[str, list[dict[str, str]]] = {}
            for obj in objects:
                for label, key in index.refers_to(obj):
                    links.setdefault(label, []).append({"from_key": obj["id"], "to_key": key})
            for label, batch in links.items():
                self.store.upsert_relationships("REFERS_TO", "Intel", label, batch)
                self.details["links"] += len(batch)
        return len(good)
