"""GeoJSON export: RFC 7946 rules checked ourselves, opened with the geojson package and shapely."""

from __future__ import annotations

import json
from pathlib import Path

import geojson
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import shape
from typer.testing import CliRunner

from api.cli import app
from exports.geojson import to_geojson, valid_point
from graph.embedded_store import EmbeddedStore


def _check_rfc7946(collection: dict) -> None:
    assert collection["type"] == "FeatureCollection" and "crs" not in collection
    for feature in collection["features"]:
        assert feature["type"] == "Feature" and isinstance(feature["properties"], dict)
        geometry = feature["geometry"]
        coords = [geometry["coordinates"]] if geometry["type"] == "Point" else geometry["coordinates"]
        for lon, lat in coords:  # [lon, lat], in range (gotcha 10: validators do not check this)
            assert -180 <= lon <= 180 and -90 <= lat <= 90
        assert shape(geometry).is_valid


def test_cli_geojson_layers_open_with_standard_readers(sharing_store: EmbeddedStore, tmp_path: Path) -> None:
    db = sharing_store.path
    sharing_store.close()
    out = tmp_path / "corridors.geojson"
    result = CliRunner().invoke(app, ["--db", str(db), "export", "geojson", "--out", str(out), "--year", "2017",
                                      "--layers", "corridors,hubs,dealers,recoveries"])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    _check_rfc7946(data)
    parsed = geojson.loads(out.read_text())
    assert parsed.is_valid, parsed.errors()
    layers = {f["properties"]["layer"] for f in data["features"]}
    assert layers == {"corridors", "hubs", "dealers", "recoveries"}
    corridor = next(f for f in data["features"] if f["properties"]["source"] == "state:US-GA")
    assert corridor["geometry"]["type"] == "LineString"
    assert corridor["geometry"]["coordinates"][0] == [-83.22, 32.68]  # lon first
    assert {"source", "destination", "firearms", "expected", "score", "median_ttc_days"} <= set(
        corridor["properties"])
    hub = next(f for f in data["features"] if f["properties"]["layer"] == "hubs")
    assert hub["properties"]["pagerank"] is not None
    text = out.read_text()
    assert "Quaxworth" not in text and "Zebulon" not in text
    city = tmp_path / "city.geojson"
    CliRunner().invoke(app, ["--db", str(db), "export", "geojson", "--out", str(city), "--level", "city"])
    assert {f["properties"].get("level") for f in json.loads(city.read_text())["features"]
            if f["properties"]["layer"] == "corridors"} == {"city"}
    refused = CliRunner().invoke(app, ["--db", str(db), "export", "geojson", "--out", str(city),
                                       "--layers", "recoveries", "--role", "partner"])
    assert refused.exit_code != 0


@given(st.floats(allow_nan=True, allow_infinity=True), st.floats(allow_nan=True, allow_infinity=True),
       st.floats(-180, 180), st.floats(-90, 90))
def test_out_of_range_points_never_reach_the_file(lon: float, lat: float, ok_lon: float, ok_lat: float) -> None:
    hubs = [{"location_key": "a", "lon": lon, "lat": lat, "pagerank": 1.0},
            {"location_key": "b", "lon": ok_lon, "lat": ok_lat, "pagerank": 1.0}]
    flows = [{"source_key": "a", "destination_key": "b", "year": 2020, "firearms": 1}]
    collection = to_geojson(flows, hubs)
    _check_rfc7946(collection)
    kept = {f["id"] for f in collection["features"]}
    assert ("hub:a" in kept) == valid_point(lon, lat)
    distinct = valid_point(lon, lat) and [round(lon, 6), round(lat, 6)] != [round(ok_lon, 6), round(ok_lat, 6)]
    assert ("hub:b" in kept) and (any(k.startswith("corridor:") for k in kept) == distinct)
