"""STIX loader on our own bundles: round trip loses nothing, invalid objects are rejected with reasons, versions are
de-duplicated."""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sharing_graph import populate

from exports.stix import bundle_dict, to_stix
from exports.stix_scope import collect_scope
from exports.tlp import clearance
from graph.embedded_store import EmbeddedStore
from graph.errors import InvalidInput
from loaders.base import LoadOptions, LoadReport, run_load
from loaders.stix import StixLoader, check_object, tlp_of


def _bundle(store: EmbeddedStore, tlp: str = "red", role: str = "investigator") -> dict:
    return bundle_dict(to_stix(collect_scope(store), tlp=tlp, clearance=clearance(role), salt="s"))  # type: ignore[arg-type]


def import_bundle(store: EmbeddedStore, bundle: dict[str, Any], *, source: str, reconstruct: bool = False
                  ) -> LoadReport:
    """``tracegraph load stix`` of ``bundle`` written to a file beside the store."""
    path = Path(store.path).parent / f"bundle-{abs(hash(json.dumps(bundle, sort_keys=True)))}.json"
    path.write_text(json.dumps(bundle))
    report = run_load(StixLoader, store, path, LoadOptions(intel_source=source, reconstruct=reconstruct))
    assert report.read == report.loaded + report.rejected + report.skipped
    return report


def test_round_trip_loses_no_firearm_location_or_network(embedded_store: EmbeddedStore, tmp_path: Path) -> None:
    planted = populate(embedded_store)
    bundle = _bundle(embedded_store)
    fresh = EmbeddedStore(tmp_path / "partner.lbug")
    fresh.init_schema()
    report = import_bundle(fresh, bundle, source="round-trip", reconstruct=True)
    assert report.rejected == 0 and report.details["reconstructed"]["Firearm"] == len(planted["firearms"])
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
    assert report.details["new_versions"] > 0 and report.rejected == 0 and report.details["links"] > 0
    for label in ("Firearm", "Recovery", "Location", "Dealer", "Person"):
        assert sharing_store.edge_list("REFERS_TO", "Intel", label).num_rows > 0, label


def test_reimport_is_deduplicated_by_id_and_modified(sharing_store: EmbeddedStore) -> None:
    bundle = _bundle(sharing_store)
    first = import_bundle(sharing_store, bundle, source="self")
    again = import_bundle(sharing_store, bundle, source="self")
    assert again.details["new_versions"] == 0 and again.details["already_held"] == first.details["new_versions"]
    assert again.loaded == first.loaded  # held versions count as loaded, as re-loaded rows of any file do
    newer = copy.deepcopy(bundle)
    actor = next(o for o in newer["objects"] if o["type"] == "threat-actor")
    actor["modified"] = "2030-01-01T00:00:00.000Z"
    update = import_bundle(sharing_store, newer, source="self")
    assert update.details["new_versions"] == 1
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
    assert (report.loaded, report.rejected) == (1, len(bad))
    assert report.rejects_file is not None
    with open(report.rejects_file, encoding="utf-8", newline="") as handle:
        rejects = list(csv.DictReader(handle))
    assert [int(r["line"]) for r in rejects] == [2, 3, 4, 5, 6]  # the object's position in the bundle
    assert all(r["reason"] for r in rejects)
    assert json.loads(rejects[3]["object"]) == "just text"  # the object verbatim
    intel = embedded_store.node_table("Intel", ("tlp", "source")).to_pylist()
    assert intel == [{"key": good["id"], "tlp": "green", "source": "partner-x"}]  # TLP 1.0 green kept
    with pytest.raises(InvalidInput, match="not a STIX bundle"):
        import_bundle(embedded_store, {"objects": []}, source="x")


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
