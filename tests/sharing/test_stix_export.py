"""STIX export: valid STIX 2.1 at every TLP level, official TLP 2.0 markings, no personal data for partners,
stable ids, nothing above the requested level."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sharing_graph import PLANTED_DOBS, PLANTED_NAMES, PLANTED_STREETS, populate
from stix2validator import ValidationOptions, validate_string
from typer.testing import CliRunner

from api.cli import app
from exports.stix import bundle_dict, to_stix
from exports.stix_scope import collect_scope
from exports.tlp import LEVEL_OF_MARKING, LEVELS, MARKING_IDS, TLP2_EXTENSION_ID, clearance, rank
from graph.embedded_store import EmbeddedStore
from graph.errors import Forbidden, InvalidInput

CASES = [("clear", "partner", None), ("green", "partner", None), ("amber", "partner", "amber"),
         ("amber+strict", "analyst", None), ("red", "investigator", None)]


def _export(store: EmbeddedStore, tlp: str, role: str, ceiling: str | None = None, scope: str = "all") -> dict:
    return bundle_dict(to_stix(collect_scope(store, scope), tlp=tlp, clearance=clearance(role, ceiling),  # type: ignore[arg-type]
                               salt="agreement-1"))


@pytest.mark.parametrize(("tlp", "role", "ceiling"), CASES)
def test_every_level_validates_with_the_oasis_validator(sharing_store: EmbeddedStore, tlp: str, role: str,
                                                        ceiling: str | None) -> None:
    bundle = _export(sharing_store, tlp, role, ceiling)
    result = validate_string(json.dumps(bundle), ValidationOptions(version="2.1"))
    assert result.errors == [] and result.is_valid
    for obj in bundle["objects"]:
        if obj["type"] == "marking-definition":
            continue
        markings = obj.get("object_marking_refs", [])
        assert len(markings) == 1 and markings[0] in MARKING_IDS.values(), obj["id"]
        assert rank(LEVEL_OF_MARKING[markings[0]]) <= rank(tlp), f"{obj['id']} is above TLP:{tlp}"
        assert not any(key.startswith("x_") for key in obj), obj["id"]


def test_bundle_carries_the_official_tlp2_marking_objects(sharing_store: EmbeddedStore, data_dir: Path) -> None:
    objects = {o["id"]: o for o in _export(sharing_store, "amber+strict", "analyst")["objects"]}
    for name in ("tlp-clear.json", "tlp-amber.json"):  # the definitions the bundle uses, exactly as OASIS's
        official = json.loads((data_dir / "sharing" / name).read_text())["objects"][0]
        assert objects[official["id"]] == official
    green = objects[MARKING_IDS["green"]]
    assert green["extensions"][TLP2_EXTENSION_ID]["tlp_2_0"] == "green" and green["name"] == "TLP:GREEN"
    used = {ref for o in objects.values() for ref in o.get("object_marking_refs", [])}
    assert {i for i in objects if i.startswith("marking-definition--")} == used  # no unused (MISP tags them all)


def test_partner_green_export_has_no_personal_data(sharing_store: EmbeddedStore) -> None:
    for tlp, ceiling in (("green", None), ("amber", "amber")):
        text = json.dumps(_export(sharing_store, tlp, "partner", ceiling))
        for planted in (*PLANTED_NAMES, *PLANTED_DOBS, *PLANTED_STREETS, "Larkspur"):
            assert planted.lower() not in text.lower(), f"{planted} leaked at TLP:{tlp}"
        assert '"P1"' not in text and '"P2"' not in text  # our person keys neither


def test_partner_amber_gets_masked_network_members(sharing_store: EmbeddedStore) -> None:
    objects = _export(sharing_store, "amber", "partner", "amber")["objects"]
    people = [o for o in objects if o["type"] == "identity" and o.get("identity_class") == "individual"]
    assert len(people) == 2 and all(p["name"].startswith("person-") for p in people)
    actor = next(o for o in objects if o["type"] == "threat-actor")
    members = {o["target_ref"] for o in objects
               if o["type"] == "relationship" and o["relationship_type"] == "attributed-to"
               and o["source_ref"] == actor["id"]}
    assert members == {p["id"] for p in people}


def test_investigator_red_export_has_the_person_in_full(sharing_store: EmbeddedStore) -> None:
    text = json.dumps(_export(sharing_store, "red", "investigator"))
    assert "Zebulon Quaxworth" in text and "1987-03-14" in text


def test_levels_only_add_objects(sharing_store: EmbeddedStore) -> None:
    ids = [{o["id"] for o in _export(sharing_store, tlp, role, ceiling)["objects"]} for tlp, role, ceiling in CASES]
    types = {o["type"] for o in _export(sharing_store, "clear", "partner")["objects"]}
    assert "sighting" not in types and "threat-actor" not in types and "firearm" not in types
    assert ids[0] < ids[1] < ids[2]


def test_reexport_yields_identical_ids_and_bundle(sharing_store: EmbeddedStore, tmp_path: Path) -> None:
    first, second = _export(sharing_store, "red", "investigator"), _export(sharing_store, "red", "investigator")
    assert first == second
    other = EmbeddedStore(tmp_path / "again.lbug")  # the same data loaded into another store
    other.init_schema()
    populate(other)
    assert {o["id"] for o in _export(other, "red", "investigator")["objects"]} == {o["id"] for o in first["objects"]}
    other.close()


def test_scope_network_and_state(sharing_store: EmbeddedStore) -> None:
    net = _export(sharing_store, "red", "investigator", scope="network:N1")["objects"]
    assert {o["firearm_key"] for o in net if o["type"] == "firearm"} == {"GLOCK|ABC123|PISTOL",
                                                                        "TAURUS|XYZ789|PISTOL"}
    ny = _export(sharing_store, "red", "investigator", scope="state:NY")["objects"]
    assert len([o for o in ny if o["type"] == "sighting"]) == 2
    with pytest.raises(InvalidInput):
        _export(sharing_store, "red", "investigator", scope="network:nope")
    with pytest.raises(InvalidInput):
        _export(sharing_store, "red", "investigator", scope="planet:mars")


def test_a_partner_cannot_ask_for_red(sharing_store: EmbeddedStore) -> None:
    with pytest.raises(Forbidden):
        _export(sharing_store, "red", "partner")
    assert LEVELS[-1] == "red"


RELEASE = ("--recipient", "State Police", "--purpose", "joint investigation 24-117")


def test_cli_export_stix_writes_a_valid_bundle(sharing_store: EmbeddedStore, tmp_path: Path) -> None:
    db = sharing_store.path
    sharing_store.close()
    out = tmp_path / "bundle.json"
    result = CliRunner().invoke(app, ["--db", str(db), "export", "stix", "--tlp", "green", "--out", str(out),
                                      *RELEASE])
    assert result.exit_code == 0, result.output
    bundle = json.loads(out.read_text())
    assert validate_string(out.read_text(), ValidationOptions(version="2.1")).is_valid
    assert any(o["type"] == "firearm" for o in bundle["objects"])
    again = tmp_path / "again.json"
    CliRunner().invoke(app, ["--db", str(db), "export", "stix", "--tlp", "green", "--out", str(again),
                             *RELEASE])
    assert again.read_text() == out.read_text()
    bad = CliRunner().invoke(app, ["--db", str(db), "export", "stix", "--tlp", "purple", "--out", str(out)])
    assert bad.exit_code != 0


def test_analyst_amber_strict_gets_persons_masked_not_dropped(sharing_store: EmbeddedStore) -> None:
    objects = _export(sharing_store, "amber+strict", "analyst")["objects"]
    people = [o for o in objects if o["type"] == "identity" and o.get("identity_class") == "individual"]
    assert len(people) == 2 and "Quaxworth" not in json.dumps(objects)


@pytest.mark.parametrize("tlp", ["green", "amber"])
def test_misp_stix_keeps_firearms_sightings_scores_and_corridors(sharing_store: EmbeddedStore, tmp_path: Path,
                                                                 tlp: str) -> None:
    from misp_stix_converter import stix_2_to_misp

    path = tmp_path / "partner.json"
    path.write_text(json.dumps(_export(sharing_store, tlp, "partner", "amber")))
    result = stix_2_to_misp(path, single_event=True)
    assert result["success"] == 1
    event = json.loads(Path(result["results"][0]).read_text())
    text = json.dumps(event)
    assert [t["name"] for t in event.get("Tag", [])] == [f"tlp:{tlp}"]  # the event's TLP is the bundle's
    assert "firearm" not in {o.get("name") for o in event.get("Object", [])}  # the custom SDO vanishes (gotcha 6)
    patterns = {a["value"] for o in event["Object"] if o["name"] == "stix2-pattern" for a in o["Attribute"]
                if a["object_relation"] == "stix2-pattern"}  # ... the firearms survive as indicators
    assert {next(p for p in patterns if f"'{serial}'" in p) for serial in ("ABC123", "XYZ789", "QQ1")}
    assert any("manufacturer = 'GLOCK'" in p for p in patterns)
    sightings = [s for o in event["Object"] for a in o["Attribute"] for s in a.get("Sighting", [])]
    if tlp == "amber":  # recoveries are AMBER: a sighting with its recovering agency, on the firearm it saw
        assert {(s["source"], s["Organisation"]["name"]) for s in sightings} == {
            ("Crime-gun recovery, trace T-1", "NYPD")}
        assert "z_score: 2.8" in text and "straw_score: 0.91" in text  # corridor and straw figures, as notes
    else:
        assert sightings == [] and "straw_score" not in text
    assert "year: 2017" in text and "firearms: 120" in text
    assert "Peach Arms" in text and "geolocation" in {o.get("name") for o in event["Object"]}
    assert "Quaxworth" not in text


def test_extension_schemas_are_shipped_json_at_the_urls_the_definitions_name(sharing_store: EmbeddedStore) -> None:
    from jsonschema import Draft202012Validator

    from exports.stix_extensions import EXT_IDS, EXT_NAME_OF_ID, schema_json

    objects = _export(sharing_store, "red", "investigator")["objects"]
    definitions = [o for o in objects if o["type"] == "extension-definition"]
    assert len(definitions) == 5
    validators = {}
    for definition in definitions:
        name = EXT_NAME_OF_ID[definition["id"]]
        schema = schema_json(name)
        assert definition["schema"] == schema["$id"] and definition["schema"].endswith(f"/{name}-ext.json")
        assert not definition["schema"].startswith("https://github.com/")  # an HTML page, not the schema
        Draft202012Validator.check_schema(schema)
        validators[definition["id"]] = Draft202012Validator(schema)
    checked = 0
    for obj in objects:
        if obj["type"] == "firearm":
            assert not list(validators[EXT_IDS["firearm"]].iter_errors(obj))
            checked += 1
        for ext_id, payload in obj.get("extensions", {}).items():
            if ext_id in validators and payload.get("extension_type") == "property-extension":
                assert not list(validators[ext_id].iter_errors(payload)), (obj["id"], ext_id)
                checked += 1
    assert checked >= 10
