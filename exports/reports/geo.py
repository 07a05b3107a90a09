"""The US map of the reports: vendored TopoJSON state outlines and d3's Albers USA projection, in pure Python.

The outlines (``assets/states-albers-10m.json``, us-atlas 3.0.1, ISC) are already projected by
``d3.geoAlbersUsa().scale(1300).translate([487.5, 305])`` into a 975x610 frame, so :func:`topo_paths` only
decodes TopoJSON arcs (quantised, delta-encoded) into SVG path data. Places given as lon/lat (state centroids,
cities) go through :func:`albers_usa`, the same composite projection (lower 48 plus Alaska and Hawaii insets,
each a conic equal-area projection with d3's parallels, rotation, centre and clip extents), so they land on
the outlines. Points outside all three extents (Puerto Rico, Mexico, ...) return ``None``.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from importlib import resources
from typing import Any

WIDTH, HEIGHT = 975, 610
SCALE = 1300.0
TRANSLATE = (487.5, 305.0)

Point = tuple[float, float]


class _Conic:
    """d3.geoConicEqualArea with rotate([-lambda0, 0]), center, parallels, scale and translate."""

    def __init__(self, rotate: float, center: Point, parallels: Point, scale: float, translate: Point) -> None:
        phi0, phi1 = math.radians(parallels[0]), math.radians(parallels[1])
        sy0 = math.sin(phi0)
        self.n = (sy0 + math.sin(phi1)) / 2
        self.c = 1 + sy0 * (2 * self.n - sy0)
        self.r0 = math.sqrt(self.c) / self.n
        self.rotate = math.radians(rotate)
        self.k = scale
        self.tx, self.ty = translate
        self.cx, self.cy = self._raw(math.radians(center[0]), math.radians(center[1]))

    def _raw(self, lam: float, phi: float) -> Point:
        r = math.sqrt(max(self.c - 2 * self.n * math.sin(phi), 0.0)) / self.n
        return r * math.sin(lam * self.n), self.r0 - r * math.cos(lam * self.n)

    def __call__(self, lon: float, lat: float) -> Point:
        lam = math.radians(lon) + self.rotate
        lam = (lam + math.pi) % (2 * math.pi) - math.pi  # d3 wraps the rotated longitude to [-pi, pi)
        x, y = self._raw(lam, math.radians(lat))
        return self.tx + self.k * (x - self.cx), self.ty - self.k * (y - self.cy)


@functools.cache
def _parts(scale: float, translate: Point) -> tuple[tuple[_Conic, tuple[Point, Point]], ...]:
    k, (x, y) = scale, translate
    lower48 = _Conic(96, (-0.6, 38.7), (29.5, 45.5), k, (x, y))
    alaska = _Conic(154, (-2, 58.5), (55, 65), k * 0.35, (x - 0.307 * k, y + 0.201 * k))
    hawaii = _Conic(157, (-3, 19.9), (8, 18), k, (x - 0.205 * k, y + 0.212 * k))
    return ((lower48, ((x - 0.455 * k, y - 0.238 * k), (x + 0.455 * k, y + 0.238 * k))),
            (alaska, ((x - 0.425 * k, y + 0.120 * k), (x - 0.214 * k, y + 0.234 * k))),
            (hawaii, ((x - 0.214 * k, y + 0.166 * k), (x - 0.115 * k, y + 0.234 * k))))


def albers_usa(lon: float, lat: float, *, scale: float = SCALE, translate: Point = TRANSLATE) -> Point | None:
    """d3.geoAlbersUsa: the first of lower 48, Alaska, Hawaii whose clip extent holds the projected point."""
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return None
    for projection, ((x0, y0), (x1, y1)) in _parts(scale, translate):
        px, py = projection(lon, lat)
        if x0 <= px <= x1 and y0 <= py <= y1:
            return px, py
    return None


def decode_arcs(topology: dict[str, Any]) -> list[list[Point]]:
    """Absolute coordinates of every arc (undoing quantisation and delta encoding when a transform is given)."""
    transform = topology.get("transform")
    arcs: list[list[Point]] = []
    for arc in topology["arcs"]:
        if transform is None:
            arcs.append([(float(p[0]), float(p[1])) for p in arc])
            continue
        (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
        x = y = 0
        points: list[Point] = []
        for dx, dy, *_ in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring_points(ring: Sequence[int], arcs: list[list[Point]]) -> list[Point]:
    """Stitch a ring from arc indexes (``~i`` = arc ``i`` reversed), dropping each joined arc's shared start."""
    points: list[Point] = []
    for index in ring:
        arc = arcs[~index][::-1] if index < 0 else arcs[index]
        points.extend(arc[1:] if points else arc)
    return points


def _polygons(geometry: dict[str, Any]) -> list[list[list[int]]]:
    if geometry["type"] == "Polygon":
        return [geometry["arcs"]]
    if geometry["type"] == "MultiPolygon":
        return list(geometry["arcs"])
    return []


def geometry_rings(geometry: dict[str, Any], arcs: list[list[Point]]) -> list[list[Point]]:
    return [ring_points(ring, arcs) for polygon in _polygons(geometry) for ring in polygon]


def path_data(rings: list[list[Point]]) -> str:
    """SVG path data: one closed subpath per ring, coordinates to 0.1 px."""
    return "".join("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in ring) + "Z" for ring in rings if ring)


def topo_paths(topology: dict[str, Any], object_name: str = "states") -> dict[str, str]:
    """``{feature id: SVG path data}`` for one GeometryCollection of a TopoJSON topology."""
    arcs = decode_arcs(topology)
    return {str(g.get("id")): path_data(geometry_rings(g, arcs))
            for g in topology["objects"][object_name]["geometries"]}


@functools.cache
def _atlas() -> dict[str, Any]:
    text = resources.files("exports.reports").joinpath("assets/states-albers-10m.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@functools.cache
def state_paths() -> dict[str, str]:
    """``{USPS code: SVG path}`` for the 50 states and DC in the 975x610 frame."""
    from loaders.domain.reference import states

    by_fips = dict(zip(states()["state_fips"], states()["state"], strict=True))
    return {by_fips[fips]: path for fips, path in topo_paths(_atlas()).items() if fips in by_fips}


@functools.cache
def state_points() -> dict[str, Point]:
    """Projected centroid (land-weighted, from the reference tables) of each state that the map shows."""
    from loaders.domain.reference import states

    out: dict[str, Point] = {}
    for row in states().itertuples():
        point = albers_usa(float(row.lon), float(row.lat))
        if point is not None:
            out[str(row.state)] = point
    return out


def point_in_rings(point: Point, rings: list[list[Point]]) -> bool:
    """Even-odd ray casting over every ring (holes and islands included)."""
    x, y = point
    inside = False
    for ring in rings:
        for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
            if (y0 > y) != (y1 > y) and x < (x1 - x0) * (y - y0) / (y1 - y0) + x0:
                inside = not inside
    return inside
