"""STIX 2.1 and GeoJSON exports of a scope over HTTP, under the same release policy as the other routes."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from stix2validator import ValidationOptions, validate_string

from tests.api.conftest import Keys, auth

STIX = "application/stix+json;version=2.1"


def _valid_bundle(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == STIX
    result = validate_string(response.text, ValidationOptions(version="2.1"))
    assert result.is_valid, [str(e) for r in result.object_results for e in r.errors]
    bundle: dict[str, Any] = response.json()
    assert bundle["type"] == "bundle"
    return bundle


def test_stix_export_of_a_network_validates_and_names_its_members(client: TestClient, keys: Keys) -> None:
    bundle = _valid_bundle(client.get("/api/v1/exports/stix?network=N1", headers=auth(keys.investigator)))
    types = {o["type"] for o in bundle["objects"]}
    assert {"threat-actor", "identity", "sighting"} <= types
    assert "DOE" in json.dumps(bundle)  # investigators receive persons in full
    posted = client.post("/api/v1/exports/stix", json={"network": "N1"}, headers=auth(keys.investigator))
    assert _valid_bundle(posted)["id"] == bundle["id"]  # GET and POST of one scope are one bundle


def test_person_and_dealer_scopes_hold_the_chain_around_them(client: TestClient, keys: Keys) -> None:
    person = _valid_bundle(client.post("/api/v1/exports/stix", json={"person": "P-STRAW", "tlp": "amber"},
                                       headers=auth(keys.partner_amber)))
    text = json.dumps(person)
    assert "DOE" not in text and "JANE" not in text and "P-STRAW" not in text  # masked for partners
    assert any(o["type"] == "sighting" for o in person["objects"])  # the gun the person bought was recovered
    dealer = _valid_bundle(client.get("/api/v1/exports/stix?dealer=1-58-121-01-5A-00001",
                                      headers=auth(keys.partner_green)))
    names = {o.get("name") for o in dealer["objects"]}
    assert "PEACH GUNS" in names and "QUIET ARMS" not in names
    assert not any(o["type"] == "sighting" for o in dealer["objects"])  # recoveries are AMBER


def test_partner_cannot_export_red_or_above_their_clearance(client: TestClient, keys: Keys) -> None:
    green = auth(keys.partner_green)
    assert client.get("/api/v1/exports/stix?tlp=red", headers=green).status_code == 403
    assert client.post("/api/v1/exports/stix", json={"tlp": "red", "state": "NY"},
                       headers=auth(keys.partner_amber)).status_code == 403
    assert client.get("/api/v1/exports/stix?network=N1", headers=green).status_code == 403  # networks: AMBER
    assert client.post("/api/v1/exports/stix", json={"person": "P-STRAW"}, headers=green).status_code == 403
    assert client.get("/api/v1/exports/geojson?layers=recoveries", headers=green).status_code == 403
    assert client.get("/api/v1/exports/geojson?layers=hubs", headers=green).status_code == 403  # centrality
    assert client.get("/api/v1/exports/stix?network=N1").status_code == 401
    assert client.get("/api/v1/exports/stix?network=NOPE", headers=auth(keys.investigator)).status_code == 404
    both = {"network": "N1", "dealer": "1-58-00001"}
    # two anchors: the schema says so for a body (``not``), a query cannot: 422 either way, never 400
    assert client.post("/api/v1/exports/stix", json=both, headers=auth(keys.investigator)).status_code == 422
    assert client.get("/api/v1/exports/stix", params=both, headers=auth(keys.investigator)).status_code == 422


def _positions(geometry: dict[str, Any]) -> list[list[float]]:
    return [geometry["coordinates"]] if geometry["type"] == "Point" else geometry["coordinates"]


def test_geojson_corridors_have_coordinates_in_range(client: TestClient, keys: Keys) -> None:
    response = client.get("/api/v1/exports/geojson?year=2023&layers=corridors&layers=hubs&layers=recoveries",
                          headers=auth(keys.analyst))
    assert response.status_code == 200 and response.headers["content-type"] == "application/geo+json"
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    layers = {f["properties"]["layer"] for f in collection["features"]}
    assert "corridors" in layers
    for feature in collection["features"]:
        for lon, lat in _positions(feature["geometry"]):
            assert -180 <= lon <= 180 and -90 <= lat <= 90
    corridor = next(f for f in collection["features"] if f["properties"]["layer"] == "corridors")
    assert corridor["properties"]["score"] == 3.1
    partner = client.post("/api/v1/exports/geojson", json={"state": "GA", "layers": ["corridors"]},
                          headers=auth(keys.partner_green)).json()
    [shared] = partner["features"]
    assert shared["properties"]["firearms"] == 12 and shared["properties"]["score"] is None  # scores: AMBER
    assert client.get("/api/v1/exports/geojson?state=TX", headers=auth(keys.analyst)).json()["features"] == []
