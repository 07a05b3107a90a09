"""Importer: round trip loses nothing, invalid objects are rejected with reasons, versions are de-duplicated."""

from __future__ import annotations

import copy
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from sharing_graph import populate

from exports.stix import bundle_dict, to_stix
from exports.stix_import import check_object, import_bundle, tlp_of
from exports.stix_scope import collect_scope
from exports.tlp import clearance
from graph.embedded_store import EmbeddedStore


def _bundle(store: EmbeddedStore, tlp: str = "red", role: str = "investigator") -> dict:
    return bundle_dict(to_stix(collect_scope(store), tlp=tlp, clearance=clearance(role), salt="s"))  # type: ignore[arg-type]


def test_round_trip_loses_no_firearm_location_or_network(embedded_store: EmbeddedStore, tmp_path: Path) -> None:
    planted = populate(embedded_store)
    bundle = _bundle(embedded_store)
    fresh = EmbeddedStore(tmp_path / "partner.lbug")
    fresh.init_schema()
    report = import_bundle(fresh, bundle, source="round-trip", reconstruct=True)
    assert report.rejected == []
    firearms = fresh.node_table("Firearm", ("serial_number", "manufacturer", "model", "caliber")).to_pylist()
    assert sorted(f["key"] for f in firearms) == sorted(planted["firearms"])
    assert {f["key"]: f["serial_number"] for f in firearms}["GLOCK|ABC123|PISTOL"] == "ABC123"
    locations = fresh.node_table("Location", ("lat", "lon")).to_pylist()
    assert sorted(loc["key"] for loc in locations) == sorted(planted["locations"])
    assert fresh.node_table("Network").column("key").to_pylist() == planted["networks"]
    intel = fresh.node_table("Intel", ("stix_type", "tlp", "source")).to_pylist()
    assert {i["stix_type"] for i in intel} >= {"firearm", "location", "threat-actor", "sighting", "report"}
    assert all(i["source"] == "round-trip" for i in intel)
    assert {i["tlp"] for i in intel} <= {"clear", "green", "amber", "red"}
    links = fresh.edge_list("REFERS_TO", "Intel", "Firearm").to_pylist()
    assert {link["dst"] for link in links} == set(planted["firearms"])
    fresh.close()


def test_import_links_intel_to_our_entities(sharing_store: EmbeddedStore) -> None:
    report = import_bundle(sharing_store, _bundle(sharing_store), source="self")
    assert report.imported > 0 and report.rejected == []
    for label in ("Firearm", "Recovery", "Location", "Dealer", "Person"):
        assert sharing_store.edge_list("REFERS_TO", "Intel", label).num_rows > 0, label


def test_reimport_is_deduplicated_by_id_and_modified(sharing_store: EmbeddedStore) -> None:
    bundle = _bundle(sharing_store)
    first = import_bundle(sharing_store, bundle, source="self")
    again = import_bundle(sharing_store, bundle, source="self")
    assert again.imported == 0 and again.duplicates == first.imported
    newer = copy.deepcopy(bundle)
    actor = next(o for o in newer["objects"] if o["type"] == "threat-actor")
    actor["modified"] = "2030-01-01T00:00:00.000Z"
    update = import_bundle(sharing_store, newer, source="self")
    assert update.imported == 1
    stored = {r["key"]: r["modified"] for r in sharing_store.node_table("Intel", ("modified",)).to_pylist()}
    assert stored[actor["id"]].year == 2030


def test_invalid_objects_are_rejected_with_reasons(embedded_store: EmbeddedStore) -> None:
    good = {"type": "attack-pattern", "spec_version": "2.1",
            "id": "attack-pattern--0a3ead4e-6d47-4ccb-854c-a6a4f9d96b22",
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z", "name": "Straw buying",
            "object_marking_refs": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]}
    bad = [
        {"type": "indicator", "id": "indicator--not-a-uuid"},
        {"type": "location", "spec_version": "2.1", "id": "location--6ba7b810-9dad-41d1-80b4-00c04fd430c8",
         "created": "2020-01-01T00:00:00Z", "modified": "2020-01-01T00:00:00Z"},
        {"type": "relationship", "spec_version": "2.1", "id": "relationship--6ba7b810-9dad-41d1-80b4-00c04fd430c8",
         "created": "2020-01-01T00:00:00Z", "modified": "2020-01-01T00:00:00Z", "relationship_type": "uses"},
        "just text",
        {"id": "identity--6ba7b810-9dad-41d1-80b4-00c04fd430c8"},
    ]
    report = import_bundle(embedded_store, {"type": "bundle", "id": "bundle--6ba7b810-9dad-41d1-80b4-00c04fd430c8",
                                        "objects": [good, *bad]}, source="partner-x")
    assert report.imported == 1 and len(report.rejected) == len(bad)
    assert all(r["reason"] for r in report.rejected)
    intel = embedded_store.node_table("Intel", ("tlp", "source")).to_pylist()
    assert intel == [{"key": good["id"], "tlp": "green", "source": "partner-x"}]  # TLP 1.0 green kept
    not_bundle = import_bundle(embedded_store, {"objects": []}, source="x")  # type: ignore[arg-type]
    assert not_bundle.rejected and "bundle" in not_bundle.rejected[0]["reason"]


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                                 max_size=4), max_leaves=12)
OBJECTS = st.fixed_dictionaries({"type": st.sampled_from(["location", "identity", "firearm", "sighting", "x"]),
                                 "id": st.text(max_size=50)}, optional={"name": JSON, "spec_version": JSON,
                                                                        "created": JSON, "modified": JSON,
                                                                        "object_marking_refs": JSON})


@settings(max_examples=150, deadline=None)
@given(st.one_of(JSON, OBJECTS))
def test_checking_never_raises_and_always_gives_a_reason(obj: object) -> None:
    reason = check_object(obj)
    assert reason is None or (isinstance(reason, str) and reason)
    if reason is None:
        assert isinstance(obj, dict) and isinstance(tlp_of(obj), str)
