"""GeoJSON export: RFC 7946 rules checked ourselves, opened with the geojson package and shapely."""

from __future__ import annotations

import json
from pathlib import Path

import geojson
from hypothesis import assume, given
from hypothesis import strategies as st
from shapely.geometry import shape
from typer.testing import CliRunner

from api.cli import app
from exports.geojson import bbox, line, to_geojson, valid_point
from graph.embedded_store import EmbeddedStore


def _check_rfc7946(collection: dict) -> None:
    assert collection["type"] == "FeatureCollection" and "crs" not in collection
    for feature in collection["features"]:
        assert feature["type"] == "Feature" and isinstance(feature["properties"], dict)
        geometry = feature["geometry"]
        coords = {"Point": lambda c: [c], "LineString": list,
                  "MultiLineString": lambda c: [p for part in c for p in part]}[geometry["type"]](
            geometry["coordinates"])
        for lon, lat in coords:  # [lon, lat], in range (gotcha 10: validators do not check this)
            assert -180 <= lon <= 180 and -90 <= lat <= 90
        assert shape(geometry).is_valid


def test_cli_geojson_layers_open_with_standard_readers(sharing_store: EmbeddedStore, tmp_path: Path) -> None:
    # a dealer and a recovery at their city and their ZIP: still one feature each (issue 18: two before)
    sharing_store.upsert_nodes("Location", [{"location_key": "zip:30301", "kind": "zip", "name": "30301",
                                             "state": "GA", "lat": 33.75, "lon": -84.39},
                                            {"location_key": "zip:10007", "kind": "zip", "name": "10007",
                                             "state": "NY", "lat": 40.71, "lon": -74.01}])
    sharing_store.upsert_relationships("AT", "Dealer", "Location", [{"from_key": "1-58-00001",
                                                                     "to_key": "zip:30301"}])
    sharing_store.upsert_relationships("AT", "Recovery", "Location", [{"from_key": "T-1", "to_key": "zip:10007"}])
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
    ids = [f["id"] for f in data["features"]]
    assert len(ids) == len(set(ids))
    assert [i for i in ids if i.startswith(("dealer:", "recovery:"))] == ["dealer:1-58-00001", "recovery:T-1"]
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


GUAM = {"location_key": "state:US-GU", "lon": 144.7937, "lat": 13.4443, "pagerank": 0.1}
HONOLULU = {"location_key": "city:US-HI:HONOLULU", "lon": -157.8583, "lat": 21.3069, "pagerank": 0.2}


def test_a_corridor_across_the_antimeridian_is_cut_and_boxed_the_short_way() -> None:
    flows = [{"source_key": GUAM["location_key"], "destination_key": HONOLULU["location_key"], "year": 2020,
              "firearms": 3}]
    collection = to_geojson(flows, [GUAM, HONOLULU])
    _check_rfc7946(collection)
    corridor = next(f for f in collection["features"] if f["properties"]["layer"] == "corridors")
    west, east = corridor["geometry"]["coordinates"]
    assert corridor["geometry"]["type"] == "MultiLineString"
    assert west[0] == [144.7937, 13.4443] and west[-1][0] == 180.0
    assert east[0][0] == -180.0 and east[-1] == [-157.8583, 21.3069] and west[-1][1] == east[0][1]
    assert corridor["bbox"] == [144.7937, 13.4443, -157.8583, 21.3069]  # west > east: it crosses (RFC 7946 5.2)
    assert collection["bbox"] == [144.7937, 13.4443, -157.8583, 21.3069]
    # the ordinary case keeps one LineString and a plain box
    plain = to_geojson([{"source_key": "a", "destination_key": "b"}],
                       [{"location_key": "a", "lon": -84.39, "lat": 33.75, "pagerank": 1.0},
                        {"location_key": "b", "lon": -74.01, "lat": 40.71, "pagerank": 1.0}])
    assert plain["bbox"] == [-84.39, 33.75, -74.01, 40.71]
    assert next(f for f in plain["features"] if f["id"].startswith("corridor:"))["geometry"]["type"] == "LineString"


@given(st.floats(-180, 180), st.floats(-89, 89), st.floats(-180, 180), st.floats(-89, 89))
def test_cut_lines_take_the_shorter_way_and_the_box_holds_every_point(ax: float, ay: float, bx: float,
                                                                       by: float) -> None:
    a, b = [round(ax, 6), round(ay, 6)], [round(bx, 6), round(by, 6)]
    assume(a != b and not (abs(a[0]) == 180 and abs(b[0]) == 180 and a[1] == b[1]))
    geometry = line(a, b)
    parts = geometry["coordinates"] if geometry["type"] == "MultiLineString" else [geometry["coordinates"]]
    span = sum(abs(part[-1][0] - part[0][0]) for part in parts)
    assert span <= 180 + 1e-9 and abs(span - min(abs(b[0] - a[0]), 360 - abs(b[0] - a[0]))) < 1e-6
    west, south, east, north = bbox([geometry])
    for lon, lat in (p for part in parts for p in part):
        assert south <= lat <= north and -180 <= lon <= 180
        assert (west <= lon <= east) if west <= east else (lon >= west or lon <= east)
    assert shape(geometry).is_valid
