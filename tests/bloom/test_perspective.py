"""The generated Bloom perspective has the shape of real Bloom 2.x exports and covers the whole schema."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cypher import registry
from exports.bloom import DATA_TYPES, cypher_params, perspective, render
from graph.schema import SCHEMA, Schema
from graph.statements import check_statement

DATA = Path(__file__).resolve().parents[1] / "data" / "bloom"
REAL_2_13 = json.loads((DATA / "bloom_perspective_Neo4j_Operations_v2.13.0.json").read_text(encoding="utf-8"))
REAL_2_7 = json.loads((DATA / "bloom_perspective_ricgraph_v2.7.0.json").read_text(encoding="utf-8"))
REAL = (REAL_2_13, REAL_2_7)
OURS = perspective()

# Where the comparable objects sit in an export: a name and a function yielding them.
SHAPES: dict[str, Any] = {
    "perspective": lambda p: [p],
    "category": lambda p: p["categories"],
    "category property": lambda p: [x for c in p["categories"] for x in c["properties"]],
    "caption": lambda p: [x for c in p["categories"] + p["relationshipTypes"] for x in c.get("captions", [])],
    "style rule": lambda p: [x for c in p["categories"] + p["relationshipTypes"] for x in c.get("styleRules", [])],
    "label property": lambda p: [x for entries in p["labels"].values() for x in entries],
    "relationship type": lambda p: p["relationshipTypes"],
    "relationship property": lambda p: [x for r in p["relationshipTypes"] for x in r["properties"]],
    "palette": lambda p: [p["palette"]],
    "template": lambda p: p["templates"],
    "template param": lambda p: [x for t in p["templates"] for x in t["params"]],
    "scene action": lambda p: p["sceneActions"],
    "metadata": lambda p: [p["metadata"]],
    "path segment": lambda p: p["metadata"]["pathSegments"],
    "index": lambda p: p["metadata"]["indexes"],
    "index key": lambda p: [x for i in p["metadata"]["indexes"] for x in i["propertyKeys"]],
    "stats": lambda p: [p["metadata"]["stats"]],
}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def _real_objects(shape: str) -> Iterator[dict[str, Any]]:
    for export in REAL:
        yield from SHAPES[shape](export)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_keys_match_the_real_exports(shape: str) -> None:
    real = list(_real_objects(shape))
    ours = SHAPES[shape](OURS)
    assert real and ours, f"no {shape} objects to compare"
    required = set.intersection(*(set(obj) for obj in real))
    allowed = set.union(*(set(obj) for obj in real))
    for obj in ours:
        assert required <= set(obj), f"{shape} lacks {sorted(required - set(obj))}"
        assert set(obj) <= allowed, f"{shape} has keys no real export has: {sorted(set(obj) - allowed)}"


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_value_types_match_the_real_exports(shape: str) -> None:
    seen: dict[str, set[str]] = {}
    for obj in _real_objects(shape):
        for key, value in obj.items():
            seen.setdefault(key, set()).add(_kind(value))
    for obj in SHAPES[shape](OURS):
        for key, value in obj.items():
            assert _kind(value) in seen[key], f"{shape}.{key} is {_kind(value)}, real exports have {seen[key]}"


@pytest.mark.parametrize("shape", ["perspective", "category", "relationship type"])
def test_every_key_of_the_2_13_export_is_written(shape: str) -> None:
    for real in SHAPES[shape](REAL_2_13):
        for ours in SHAPES[shape](OURS):
            assert set(real) <= set(ours)


def test_every_schema_label_has_a_category_with_all_its_properties() -> None:
    by_label = {c["labels"][0]: c for c in OURS["categories"]}
    assert set(by_label) == set(SCHEMA.labels)
    assert all(len(c["labels"]) == 1 for c in OURS["categories"])
    for node in SCHEMA.nodes:
        category = by_label[node.name]
        declared = {p["name"]: p for p in category["properties"]}
        assert list(declared) == list(node.property_names)
        for prop in node.properties:
            assert declared[prop.name]["dataType"] == DATA_TYPES[prop.type]
        assert [e["propertyKey"] for e in OURS["labels"][node.name]] == list(node.property_names)
        captions = [c["key"] for c in category["captions"] if c["isCaption"]]
        assert captions and set(captions) <= set(node.property_names), node.name
        assert category["icon"] and category["color"].startswith("#")


def test_internal_properties_are_declared_but_excluded() -> None:
    excluded = {(c["name"], p["name"]) for c in OURS["categories"] for p in c["properties"] if p["exclude"]}
    assert ("Dealer", "load_run_id") in excluded
    assert ("Intel", "stix_json") in excluded
    assert ("Person", "straw_score") not in excluded
    for category in OURS["categories"]:  # an excluded property is never a caption
        hidden = {p["name"] for p in category["properties"] if p["exclude"]}
        assert not hidden & {c["key"] for c in category["captions"]}


def test_every_relationship_type_is_styled_with_its_properties() -> None:
    by_name = {r["name"]: r for r in OURS["relationshipTypes"]}
    assert set(by_name) == set(SCHEMA.rel_types)
    for rel in SCHEMA.relationships:
        assert [p["propertyKey"] for p in by_name[rel.name]["properties"]] == list(rel.property_names)
    segments = {(s["source"], s["relationshipType"], s["target"]) for s in OURS["metadata"]["pathSegments"]}
    assert segments == {(a, r.name, b) for r in SCHEMA.relationships for a, b in r.endpoints}


def _rules(owner: str) -> list[dict[str, Any]]:
    for entry in OURS["categories"] + OURS["relationshipTypes"]:
        if entry["name"] == owner:
            return list(entry["styleRules"])
    raise AssertionError(owner)


@pytest.mark.parametrize(("owner", "prop", "applies"), [
    ("Person", "straw_score", "applySize"),
    ("Person", "network_id", "applyColor"),
    ("Location", "pagerank", "applySize"),
    ("Dealer", "anomaly_score", "applyColor"),
    ("Dealer", "anomaly_score", "applySize"),
    ("FLOW", "firearms", "applySize"),
    ("FLOW", "score", "applyColor"),
])
def test_rule_based_styles_follow_the_computed_scores(owner: str, prop: str, applies: str) -> None:
    matching = [r for r in _rules(owner) if r["basedOn"].startswith(prop + "_") and r[applies]]
    assert matching, f"no {applies} rule on {owner}.{prop}"


def test_every_style_rule_names_a_declared_property_with_its_type() -> None:
    for entry in OURS["categories"] + OURS["relationshipTypes"]:
        owner = entry["name"]
        props = SCHEMA.node(owner).properties if owner in SCHEMA.labels else SCHEMA.relationship(owner).properties
        based_on = {f"{p.name}_{DATA_TYPES[p.type]}" for p in props}
        for rule in entry["styleRules"]:
            assert rule["basedOn"] in based_on, (owner, rule["basedOn"])


def test_search_phrases_an_analyst_asks_for_are_there() -> None:
    texts = {t["text"] for t in OURS["templates"]}
    assert {"network of purchaser $name", "guns from dealer $license recovered within a year",
            "corridors into $state", "straw queue top $n", "firearm $serial chain"} <= texts


@pytest.mark.parametrize("template", OURS["templates"], ids=[t["text"] for t in OURS["templates"]])
def test_search_phrase_cypher_is_a_checked_registry_statement(template: dict[str, Any]) -> None:
    assert check_statement(template["cypher"]) == []
    neo4j_texts = {text for _, backend, text in registry().items() if backend in ("neo4j", None)}
    assert template["cypher"] in neo4j_texts
    declared = {p["name"].lstrip("$") for p in template["params"]}
    assert declared == cypher_params(template["cypher"]) == cypher_params(template["text"])
    for param in template["params"]:
        if param["suggestionLabel"] is not None:
            assert param["suggestionProp"] in SCHEMA.node(param["suggestionLabel"]).property_names


@pytest.mark.parametrize("action", OURS["sceneActions"], ids=[a["name"] for a in OURS["sceneActions"]])
def test_scene_actions_work_on_the_selection(action: dict[str, Any]) -> None:
    assert check_statement(action["cypher"]) == []
    assert cypher_params(action["cypher"]) == {"nodes"}
    assert "elementId(" in action["cypher"]


def test_scene_actions_named_in_the_issue_exist() -> None:
    names = {a["name"] for a in OURS["sceneActions"]}
    assert {"Expand trace chain", "Show network members", "Corridors from this state"} <= names


def test_ids_are_unique() -> None:
    for ids in ([t["id"] for t in OURS["templates"]], [a["id"] for a in OURS["sceneActions"]],
                [r["id"] for e in OURS["categories"] + OURS["relationshipTypes"] for r in e["styleRules"]],
                [c["id"] for c in OURS["categories"]]):
        assert len(ids) == len(set(ids))


def test_regenerating_yields_identical_bytes() -> None:
    first = render(perspective()).encode("utf-8")
    assert render(perspective()).encode("utf-8") == first
    assert json.loads(first) == OURS


def _sub_schema(keep: frozenset[str]) -> Schema:
    nodes = tuple(n for n in SCHEMA.nodes if n.name in keep)
    rels = tuple(r for r in SCHEMA.relationships if all(a in keep and b in keep for a, b in r.endpoints))
    return Schema(nodes=nodes, relationships=rels)


@settings(max_examples=25, deadline=None)
@given(st.frozensets(st.sampled_from(SCHEMA.labels), min_size=1))
def test_any_schema_gets_one_category_per_label(keep: frozenset[str]) -> None:
    schema = _sub_schema(keep)
    result = perspective(schema)
    assert sorted(c["name"] for c in result["categories"]) == sorted(keep)
    assert sorted(result["labels"]) == sorted(keep)
    assert {r["name"] for r in result["relationshipTypes"]} == set(schema.rel_types)
    assert render(result) == render(perspective(schema))
