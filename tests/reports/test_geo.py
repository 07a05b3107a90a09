"""The map's geometry: TopoJSON decoding and the Albers USA projection agree with the vendored outlines."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from hypothesis import assume, given
from hypothesis import strategies as st

from exports.reports.geo import (
    HEIGHT,
    WIDTH,
    _atlas,
    albers_usa,
    decode_arcs,
    geometry_rings,
    point_in_rings,
    ring_points,
    state_paths,
    state_points,
    topo_paths,
)
from loaders.domain import reference
from loaders.domain.reference import states

# The quantised example of the TopoJSON specification (section 2.1.3 / 2.1.4 style): one delta-encoded arc.
SQUARE = {"type": "Topology", "transform": {"scale": [2.0, 3.0], "translate": [10.0, 20.0]},
          "objects": {"shapes": {"type": "GeometryCollection", "geometries": [
              {"type": "Polygon", "id": "sq", "arcs": [[0]]},
              {"type": "Polygon", "id": "back", "arcs": [[~0]]}]}},
          "arcs": [[[0, 0], [1, 0], [0, 1], [-1, 0], [0, -1]]]}


def test_quantised_arcs_are_undeltaed_and_scaled() -> None:
    assert decode_arcs(SQUARE) == [[(10.0, 20.0), (12.0, 20.0), (12.0, 23.0), (10.0, 23.0), (10.0, 20.0)]]


def test_negative_arc_index_walks_the_arc_backwards_and_joined_arcs_share_one_point() -> None:
    arcs = [[(0.0, 0.0), (1.0, 0.0)], [(1.0, 0.0), (1.0, 1.0), (0.0, 0.0)]]
    assert ring_points([0, 1], arcs) == [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)]
    assert ring_points([~1, ~0], arcs) == [(0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 0.0)]


def test_topo_paths_draw_closed_svg_subpaths() -> None:
    paths = topo_paths(SQUARE, "shapes")
    assert set(paths) == {"sq", "back"}
    assert paths["sq"].startswith("M10.0,20.0L12.0,20.0") and paths["sq"].endswith("Z")
    assert paths["back"].startswith("M10.0,20.0L10.0,23.0")


def test_vendored_outlines_cover_50_states_and_dc_inside_the_frame() -> None:
    paths = state_paths()
    assert len(paths) == 51 and {"NY", "AK", "HI", "DC"} <= set(paths)
    for code, data in paths.items():
        numbers = [float(n) for n in re.findall(r"-?\d+\.?\d*", data)]
        xs, ys = numbers[0::2], numbers[1::2]
        assert min(ys) >= -1 and max(ys) <= HEIGHT + 1 and max(xs) <= WIDTH + 1, code
        # d3's own us-atlas maps use this 975x610 frame too: only the far western Aleutians fall left of it.
        share_inside = sum(1 for x in xs if x >= 0) / len(xs)
        assert share_inside == 1.0 or (code == "AK" and share_inside > 0.9), code


GAZETTEER_COUNTIES = reference.path("gaz_counties_2011.tsv.gz")  # the Census county gazetteer, as shipped


def test_projected_state_centroids_fall_inside_their_own_outline() -> None:
    """Our Albers USA (for lon/lat places) lands on d3's pre-projected outlines, insets included."""
    by_fips = dict(zip(states()["state_fips"], states()["state"], strict=True))
    arcs = decode_arcs(_atlas())
    rings = {by_fips[g["id"]]: geometry_rings(g, arcs) for g in _atlas()["objects"]["states"]["geometries"]}
    points = state_points()
    outside = sorted(code for code, shape in rings.items() if not point_in_rings(points[code], shape))
    assert outside == []  # Hawaii too: its land-weighted centroid lay at sea, between the islands (issue 18)


def test_state_points_are_census_internal_points_of_their_own_counties() -> None:
    counties = pd.read_csv(GAZETTEER_COUNTIES, sep="\t", dtype={"GEOID": str}, encoding="latin-1")
    counties.columns = [c.strip() for c in counties.columns]
    points = {(r.STUSPS, round(r.INTPTLAT, 6), round(r.INTPTLONG, 6)) for r in counties.itertuples()}
    table = states().dropna(subset=["lat"])
    assert len(table) >= 51
    for row in table.itertuples():
        assert (row.state, round(row.lat, 6), round(row.lon, 6)) in points, row.state
    hawaii = table.set_index("state").loc["HI"]
    assert (round(hawaii["lat"], 6), round(hawaii["lon"], 6)) == (20.855931, -156.60155)  # Maui County, on land


def test_cities_land_in_their_state_and_places_off_the_map_are_dropped() -> None:
    arcs = decode_arcs(_atlas())
    fips = {"NY": "36", "IL": "17", "AK": "02", "HI": "15", "FL": "12"}
    shapes = {g["id"]: geometry_rings(g, arcs) for g in _atlas()["objects"]["states"]["geometries"]}
    for state, lon, lat in (("NY", -73.94, 40.66), ("IL", -87.68, 41.84), ("AK", -149.9, 61.2),
                            ("HI", -157.86, 21.31), ("FL", -80.2, 25.8)):
        point = albers_usa(lon, lat)
        assert point is not None and point_in_rings(point, shapes[fips[state]]), state
    assert albers_usa(-66.1, 18.4) is None   # San Juan: d3's Albers USA has no Puerto Rico inset
    assert albers_usa(-99.1, 19.4) is None   # Mexico City
    assert albers_usa(float("nan"), 40.0) is None


@given(st.floats(-124.0, -67.5), st.floats(0.1, 20.0), st.floats(25.5, 48.5), st.floats(0.1, 10.0))
def test_east_is_right_and_north_is_up_across_the_lower48(lon: float, dlon: float, lat: float, dlat: float) -> None:
    west, east = albers_usa(lon, lat), albers_usa(min(lon + dlon, -67.0), lat)
    south, north = albers_usa(lon, lat), albers_usa(lon, min(lat + dlat, 49.0))
    assume(None not in (west, east, south, north))  # open sea beyond the lower-48 clip extent (d3 drops it)
    assert west is not None and east is not None and south is not None and north is not None
    assert west[0] < east[0] and north[1] < south[1]


def test_places_a_real_load_creates_lie_inside_their_state(tmp_path: Path) -> None:
    """Every state, city and ZIP point the FFL loader writes (Census internal points) is inside its state."""
    from typer.testing import CliRunner

    from api.cli import app
    from graph.embedded_store import EmbeddedStore

    db = tmp_path / "s.lbug"
    fixture = Path(__file__).parents[1] / "data" / "loaders" / "0125-ffl-list-va-excerpt.txt"
    assert CliRunner().invoke(app, ["--db", str(db), "init"]).exit_code == 0
    loaded = CliRunner().invoke(app, ["--db", str(db), "load", "ffl", str(fixture), "--as-of", "2025-01-15"])
    assert loaded.exit_code == 0, loaded.output
    with EmbeddedStore(db) as store:
        places = [r for r in store.query("stix_locations").rows() if r["lat"] is not None]
    by_fips = dict(zip(states()["state_fips"], states()["state"], strict=True))
    arcs = decode_arcs(_atlas())
    rings = {by_fips[g["id"]]: geometry_rings(g, arcs) for g in _atlas()["objects"]["states"]["geometries"]}
    kinds = {p["kind"] for p in places}
    assert {"state", "city", "zip"} <= kinds and len(places) >= 8
    outside = [p["location_key"] for p in places if p.get("state") in rings
               and not point_in_rings(albers_usa(p["lon"], p["lat"]), rings[p["state"]])]  # type: ignore[arg-type]
    assert outside == []
