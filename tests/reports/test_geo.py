"""The map's geometry: TopoJSON decoding and the Albers USA projection agree with the vendored outlines."""

from __future__ import annotations

import re

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
from loaders.reference import states

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


def test_projected_state_centroids_fall_inside_their_own_outline() -> None:
    """Our Albers USA (for lon/lat places) lands on d3's pre-projected outlines, insets included."""
    by_fips = dict(zip(states()["state_fips"], states()["state"], strict=True))
    arcs = decode_arcs(_atlas())
    rings = {by_fips[g["id"]]: geometry_rings(g, arcs) for g in _atlas()["objects"]["states"]["geometries"]}
    points = state_points()
    outside = sorted(code for code, shape in rings.items() if not point_in_rings(points[code], shape))
    assert outside == ["HI"]  # the land-weighted centroid of the island chain lies at sea, between the islands
    hawaii = [p for ring in rings["HI"] for p in ring]
    x, y = points["HI"]
    assert min(p[0] for p in hawaii) < x < max(p[0] for p in hawaii)
    assert min(p[1] for p in hawaii) < y < max(p[1] for p in hawaii)


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
