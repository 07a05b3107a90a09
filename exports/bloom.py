"""The Neo4j Bloom perspective, generated from the schema.

The output follows the perspective JSON that Bloom 2.x exports (modelled on real 2.13.0 and 2.7.0 exports, copied
in ``tests/data/bloom/``): one category per label with its caption, icon, colour and every declared property;
the relationship types; rule-based styles driven by the scores ``tracegraph analyze`` writes back; search phrases
(``templates``) and scene actions whose Cypher is read from the named statements ``cypher/bloom_*.neo4j.cypher``.

Output is deterministic: ids are derived from names (UUIDv5, or a 13-digit number in Bloom's ``tmpl:`` / ``rule:``
id shape), timestamps are one fixed instant, and :func:`render` sorts keys, so regenerating yields the same bytes.

>>> p = perspective()
>>> sorted(c["name"] for c in p["categories"]) == sorted(SCHEMA.labels)
True
>>> render(p) == render(perspective())
True
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from cypher import registry
from exports.canonical import TRACEGRAPH_NAMESPACE
from graph.schema import INTERNAL_PROPERTIES, SCHEMA, NodeLabel, Property, RelType, Schema

FORMAT_VERSION = "2.13.0"
"""The Bloom export format this perspective is written in."""
PERSPECTIVE_NAME = "tracegraph"
FIXED_TIME_MS = 1767225600000
"""createdAt/lastEditedAt for every element (2026-01-01T00:00:00Z): fixed so that output is byte-identical."""

# Bloom's default palette, as every real export carries it.
PALETTE = ("#FFE081", "#C990C0", "#F79767", "#57C7E3", "#F16667", "#D9C8AE", "#8DCC93", "#ECB5C9", "#4C8EDA",
           "#FFC454", "#DA7194", "#569480", "#848484", "#D9D9D9")
REL_COLOR = "#848484"

# Schema property type -> Bloom property dataType. string/bigint/number are attested by the real exports;
# boolean/date/datetime follow the same naming (Neo4j's own type names, lower-cased).
DATA_TYPES = {"STRING": "string", "INT64": "bigint", "DOUBLE": "number", "BOOL": "boolean", "DATE": "date",
              "TIMESTAMP": "datetime"}

EXCLUDED_PROPERTIES = frozenset({"load_run_id", "analysis_run_id", "stix_json"}) | INTERNAL_PROPERTIES
"""Internal bookkeeping: declared in the perspective (so Bloom knows them) but hidden from users."""

CAPTIONS: dict[str, tuple[str, ...]] = {
    "Dealer": ("business_name", "license_name"), "Person": ("last_name", "first_name"),
    "Firearm": ("manufacturer", "serial_number"), "Recovery": ("trace_id",), "Location": ("name",),
    "Inspection": ("inspection_date", "outcome"), "Violation": ("cfr_code",), "Network": ("network_id",),
    "Intel": ("name",), "Evidence": ("file_name",), "LoadRun": ("kind",), "AnalysisRun": ("run_id",),
    "Alert": ("rule", "subject_key"), "Watch": ("kind", "value"),
}
"""Caption properties per label; a label not listed here is captioned by its key."""

# Icon ids from Bloom's icon library, taken from the real exports in tests/data/bloom and /work/shared/data/neo4j
# where they style an entity of the same kind (Shop, Addresses, AccountHolder); the others have no attested id.
ICONS: dict[str, str] = {
    "Dealer": "7B9D2D75-AC63-4E4E-97A5-5C7987BB30BF",
    "Location": "59435072-6EE1-4BB0-869A-50F2FB447DEB",
    "Person": "7704F5DB-A361-4067-9F2B-5EEDD2E9B9F4",
}
NO_ICON = "no-icon"


@dataclass(frozen=True)
class StyleRule:
    """One rule-based style. ``kind``: ``range`` (gradient/size over a numeric property), ``unique`` (one colour
    per distinct value) or ``single`` (a condition on one value)."""

    owner: str
    prop: str
    kind: str
    apply_color: bool = False
    apply_size: bool = False
    min_color: str = "#D5EEE2"
    mid_color: str = "#81CCA8"
    max_color: str = "#428C6A"
    min_size: float = 1
    max_size: float = 3
    color: str = "#FFE081"
    condition: str | None = None
    condition_value: str | None = None


STYLE_RULES: tuple[StyleRule, ...] = (
    StyleRule("Person", "straw_score", "range", apply_size=True, max_size=4),
    StyleRule("Person", "network_id", "unique", apply_color=True),
    StyleRule("Location", "pagerank", "range", apply_size=True, max_size=4),
    StyleRule("Dealer", "anomaly_score", "range", apply_color=True, apply_size=True, min_color="#FFF3C4",
              mid_color="#F79767", max_color="#B22222", max_size=4),
    StyleRule("Violation", "zero_tolerance", "single", apply_color=True, color="#F16667", condition="equals",
              condition_value="true"),
    StyleRule("FLOW", "firearms", "range", apply_size=True, max_size=8),
    StyleRule("FLOW", "score", "range", apply_color=True, min_color="#D9D9D9", mid_color="#F79767",
              max_color="#B22222"),
)
"""Size by straw score (persons) and hub centrality (locations); colour by network; dealers by anomaly score;
zero-tolerance violations in red; corridor width by firearms and colour by significance."""


@dataclass(frozen=True)
class Param:
    name: str
    data_type: str = "String"
    suggestion_label: str | None = None
    suggestion_prop: str | None = None


@dataclass(frozen=True)
class SearchPhrase:
    statement: str
    title: str
    text: str
    params: tuple[Param, ...]


SEARCH_PHRASES: tuple[SearchPhrase, ...] = (
    SearchPhrase("bloom_purchaser_network", "Network of a purchaser", "network of purchaser $name",
                 (Param("name", suggestion_label="Person", suggestion_prop="last_name"),)),
    SearchPhrase("bloom_dealer_short_ttc", "Guns from a dealer recovered within a year",
                 "guns from dealer $license recovered within a year",
                 (Param("license", suggestion_label="Dealer", suggestion_prop="license_number"),)),
    SearchPhrase("bloom_corridors_into_state", "Corridors into a state", "corridors into $state",
                 (Param("state", suggestion_label="Location", suggestion_prop="state"),)),
    SearchPhrase("bloom_straw_queue", "Straw-purchaser review queue", "straw queue top $n",
                 (Param("n", data_type="Integer"),)),
    SearchPhrase("bloom_firearm_chain", "Trace chain of a firearm", "firearm $serial chain",
                 (Param("serial", suggestion_label="Firearm", suggestion_prop="serial_number"),)),
    SearchPhrase("bloom_anomalous_dealers", "Most anomalous dealers of a state", "anomalous dealers in $state",
                 (Param("state", suggestion_label="Dealer", suggestion_prop="premise_state"),)),
    SearchPhrase("bloom_network_members", "One detected network", "network $network_id",
                 (Param("network_id", suggestion_label="Network", suggestion_prop="network_id"),)),
)

SCENE_ACTIONS: tuple[tuple[str, str], ...] = (
    ("Expand trace chain", "bloom_action_trace_chain"),
    ("Show network members", "bloom_action_network_members"),
    ("Corridors from this state", "bloom_action_corridors_from"),
    ("Traced guns of this dealer", "bloom_action_dealer_traces"),
)
"""Scene actions: (name, statement). Each statement filters ``$nodes`` by label, so it does nothing on a
selection it does not apply to; availability is left open (``categories: null``) as in the real exports."""

PARAM_PATTERN = re.compile(r"\$(\w+)")


def cypher_params(text: str) -> set[str]:
    """The ``$parameter`` names a Cypher text (or a search-phrase text) uses."""
    return set(PARAM_PATTERN.findall(text))


def stable_uuid(*parts: str) -> str:
    return str(uuid.uuid5(TRACEGRAPH_NAMESPACE, "bloom:" + ":".join(parts)))


def stable_number(*parts: str) -> int:
    """A 13-digit number derived from names: Bloom's ``tmpl:``/``rule:`` ids are 13-digit epoch milliseconds."""
    digest = hashlib.sha256(":".join(parts).encode()).digest()
    return 10**12 + int.from_bytes(digest[:8], "big") % (9 * 10**12)


def statement_text(name: str) -> str:
    return registry().get(name, "neo4j")


def _owner_props(owner: str, schema: Schema) -> tuple[Property, ...]:
    if owner in schema.labels:
        return schema.node(owner).properties
    return schema.relationship(owner).properties


def _style_rule(rule: StyleRule, schema: Schema) -> dict[str, Any]:
    prop = next(p for p in _owner_props(rule.owner, schema) if p.name == rule.prop)
    return {
        "id": f"rule:{stable_number(rule.owner, rule.prop, rule.kind)}",
        "type": rule.kind,
        "size": 1,
        "minSize": rule.min_size, "maxSize": rule.max_size,
        "minColor": rule.min_color, "midColor": rule.mid_color, "maxColor": rule.max_color,
        "minPoint": "unprocessed", "maxPoint": "unprocessed",  # Bloom takes the range from the data
        "applyColor": rule.apply_color, "applySize": rule.apply_size, "applyCaption": False,
        "captionKeys": [],
        "color": rule.color,
        "isTimeZoneConvertEnabled": False, "selectedTimeZone": "Z",
        "basedOn": f"{prop.name}_{DATA_TYPES[prop.type]}",
        "valuesMapper": [], "existingValues": [],
        # Bloom stores every field of its rule form whatever the type (the 2.7 export keeps range defaults on
        # single rules); for range/unique rules the condition fields keep the form's defaults, unused.
        "conditionValue": rule.condition_value or "", "rangeValue": None, "condition": rule.condition or "equals",
    }


def _rules_for(owner: str, schema: Schema) -> list[dict[str, Any]]:
    declared = {p.name for p in _owner_props(owner, schema)}
    return [_style_rule(rule, schema) for rule in STYLE_RULES if rule.owner == owner and rule.prop in declared]


def _label_entries(owner: str, props: tuple[Property, ...]) -> list[dict[str, Any]]:
    return [{"propertyKey": p.name, "type": owner, "dataType": DATA_TYPES[p.type]} for p in props]


def _caption_keys(node: NodeLabel) -> tuple[str, ...]:
    return CAPTIONS.get(node.name, (node.key,))


def _category(index: int, node: NodeLabel, schema: Schema, created: int) -> dict[str, Any]:
    caption_keys = _caption_keys(node)
    captions: list[dict[str, Any]] = [
        {"inTooltip": False, "styles": [], "isCaption": False, "key": node.name, "type": "label"}]
    # caption properties first, in the order they should read ("business_name license_name")
    ordered = sorted(node.properties, key=lambda p: caption_keys.index(p.name) if p.name in caption_keys else
                     len(caption_keys))
    for prop in ordered:
        if prop.name in EXCLUDED_PROPERTIES:
            continue
        is_caption = prop.name in caption_keys
        captions.append({"inTooltip": is_caption or prop.name == node.key, "styles": [], "isCaption": is_caption,
                         "key": prop.name, "type": "property", "isGdsData": False})
    return {
        "id": index,
        "name": node.name,
        "labels": [node.name],
        "properties": [{"name": p.name, "exclude": p.name in EXCLUDED_PROPERTIES, "dataType": DATA_TYPES[p.type]}
                       for p in node.properties],
        "createdAt": created, "lastEditedAt": created,
        "color": PALETTE[(index - 1) % len(PALETTE)],
        "size": 1,
        "icon": ICONS.get(node.name, NO_ICON),
        "textSize": 1, "textAlign": "top",
        "captions": captions,
        "captionKeys": [],
        "styleRules": _rules_for(node.name, schema),
    }


def _relationship_type(rel: RelType, schema: Schema) -> dict[str, Any]:
    return {
        "id": rel.name,
        "name": rel.name,
        "properties": _label_entries(rel.name, rel.properties),
        "color": REL_COLOR,
        "size": 1,
        "textSize": 1, "textAlign": "top",
        "captions": [{"inTooltip": True, "isCaption": True, "styles": [], "key": rel.name, "type": "relationship"}],
        "captionKeys": [],
        "styleRules": _rules_for(rel.name, schema),
    }


def _template(phrase: SearchPhrase, created: int) -> dict[str, Any]:
    return {
        "name": phrase.title,
        "id": f"tmpl:{stable_number('template', phrase.statement)}",
        "createdAt": created,
        "text": phrase.text,
        "cypher": statement_text(phrase.statement),
        "isUpdateQuery": None,
        "params": [{"name": f"${p.name}", "dataType": p.data_type, "collapsed": False,
                    "suggestionLabel": p.suggestion_label, "suggestionProp": p.suggestion_prop,
                    "suggestionBoolean": False, "cypher": None} for p in phrase.params],
        "hasCypherErrors": False,
    }


def _scene_action(name: str, statement: str, created: int) -> dict[str, Any]:
    return {"name": name, "id": stable_uuid("scene-action", statement), "createdAt": created,
            "cypher": statement_text(statement), "isUpdateQuery": None, "categories": None,
            "relationshipTypes": None, "hasCypherErrors": False}


def _metadata(schema: Schema) -> dict[str, Any]:
    segments = [{"source": src, "relationshipType": rel.name, "target": dst}
                for rel in schema.relationships for src, dst in rel.endpoints]
    indexes = []
    for node in schema.nodes:
        keys = [node.key] + [p.name for p in node.properties if p.indexed and p.name != node.key]
        indexes.append({"label": node.name, "type": "native",
                        "propertyKeys": [{"key": k, "metadataProp": False} for k in keys]})
    return {"pathSegments": segments, "indexes": indexes, "stats": {"labels": {}, "relationshipTypes": {}}}


def perspective(schema: Schema = SCHEMA, *, created_at_ms: int = FIXED_TIME_MS) -> dict[str, Any]:
    """The Bloom perspective for ``schema`` as a JSON-ready dict (Bloom 2.x export format)."""
    categories = [_category(i, node, schema, created_at_ms) for i, node in enumerate(schema.nodes, start=1)]
    return {
        "name": PERSPECTIVE_NAME,
        "id": stable_uuid("perspective", PERSPECTIVE_NAME, str(schema.version)),
        "categories": categories,
        "labels": {node.name: _label_entries(node.name, node.properties) for node in schema.nodes},
        "relationshipTypes": [_relationship_type(rel, schema) for rel in schema.relationships],
        "palette": {"colors": list(PALETTE), "currentIndex": len(categories) % len(PALETTE)},
        "createdAt": created_at_ms, "lastEditedAt": created_at_ms,
        "templates": [_template(phrase, created_at_ms) for phrase in SEARCH_PHRASES],
        "sceneActions": [_scene_action(name, stmt, created_at_ms) for name, stmt in SCENE_ACTIONS],
        "hiddenRelationshipTypes": [],
        "hiddenCategories": [],
        "hideUncategorisedData": False,
        "isAuto": False,
        "parentPerspectiveId": None,
        "metadata": _metadata(schema),
        "version": FORMAT_VERSION,
    }


def render(value: dict[str, Any]) -> str:
    """The perspective as file text: sorted keys, two-space indent, trailing newline."""
    return json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
