"""GeoJSON (RFC 7946) layers: corridors as LineStrings, hub cities as Points, optional dealers and recoveries.

``to_geojson`` is pure. Coordinates are WGS 84 ``[lon, lat]`` (no ``crs`` member, RFC 7946 section 4); a
corridor that crosses the antimeridian (Guam -> Honolulu) is cut there into a MultiLineString (section 3.1.9)
and every bbox spans the shorter way round, west > east when it crosses (section 5.2);
a feature without valid coordinates (or a corridor whose two ends coincide) is left out and counted in the
foreign member ``tracegraph.skipped_without_coordinates``. Recoveries are AMBER under the release policy: the
CLI only adds them for a caller cleared for AMBER, and they carry no personal data here in any case.
"""

from __future__ import annotations

import math
from typing import Any

from exports.stix_scope import Record, ScopeRecords

LAYERS = ("corridors", "hubs", "dealers", "recoveries")


def valid_point(lon: Any, lat: Any) -> bool:
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        return False
    return math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90


def _position(lon: Any, lat: Any) -> list[float]:
    return [round(float(lon), 6), round(float(lat), 6)]


def _clean(props: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in props.items()}


def _feature(layer: str, fid: str, geometry: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "id": fid, "geometry": geometry, "properties": _clean({"layer": layer, **props})}


def to_geojson(corridors: list[Record], hubs: list[Record], dealers: list[Record] | None = None,
               recoveries: list[Record] | None = None, *, locations: list[Record] | None = None) -> dict[str, Any]:
    """A FeatureCollection. ``corridors`` rows carry source/destination keys and, unless ``locations`` is
    given to resolve them, ``source_lon/source_lat/destination_lon/destination_lat``."""
    where = {loc["location_key"]: loc for loc in (locations or hubs)}
    features: list[dict[str, Any]] = []
    skipped = 0
    for flow in corridors:
        a, b = where.get(flow["source_key"], {}), where.get(flow["destination_key"], {})
        ax, ay = flow.get("source_lon", a.get("lon")), flow.get("source_lat", a.get("lat"))
        bx, by = flow.get("destination_lon", b.get("lon")), flow.get("destination_lat", b.get("lat"))
        if not (valid_point(ax, ay) and valid_point(bx, by)) or _position(ax, ay) == _position(bx, by):
            skipped += 1  # no coordinates, or both ends at one point (a degenerate, invalid LineString)
            continue
        features.append(_feature("corridors", f"corridor:{flow['source_key']}>{flow['destination_key']}:"
                                              f"{flow.get('year')}:{flow.get('basis')}",
                                 line(_position(ax, ay), _position(bx, by)),
                                 {"source": flow["source_key"], "destination": flow["destination_key"],
                                  "year": flow.get("year"), "level": flow.get("level"),
                                  "basis": flow.get("basis"), "firearms": flow.get("firearms"),
                                  "expected": flow.get("expected"),
                                  "score": flow.get("score"), "median_ttc_days": flow.get("median_ttc_days")}))
    for hub in hubs:
        if hub.get("pagerank") is None and hub.get("betweenness") is None:
            continue
        if not valid_point(hub.get("lon"), hub.get("lat")):
            skipped += 1
            continue
        features.append(_feature("hubs", f"hub:{hub['location_key']}",
                                 {"type": "Point", "coordinates": _position(hub["lon"], hub["lat"])},
                                 {"location": hub["location_key"], "name": hub.get("name"), "kind": hub.get("kind"),
                                  "pagerank": hub.get("pagerank"), "betweenness": hub.get("betweenness")}))
    for dealer in dealers or []:
        if not valid_point(dealer.get("lon"), dealer.get("lat")):
            skipped += 1
            continue
        features.append(_feature("dealers", f"dealer:{dealer['dealer_key']}",
                                 {"type": "Point", "coordinates": _position(dealer["lon"], dealer["lat"])},
                                 {"dealer_key": dealer["dealer_key"], "license_number": dealer.get("license_number"),
                                  "name": dealer.get("business_name") or dealer.get("license_name"),
                                  "status": dealer.get("status")}))
    for rec in recoveries or []:
        if not valid_point(rec.get("lon"), rec.get("lat")):
            skipped += 1
            continue
        features.append(_feature("recoveries", f"recovery:{rec['trace_id']}",
                                 {"type": "Point", "coordinates": _position(rec["lon"], rec["lat"])},
                                 {"trace_id": rec["trace_id"], "recovery_date": _iso(rec.get("recovery_date")),
                                  "state": rec.get("recovery_state"),
                                  "time_to_crime_days": rec.get("time_to_crime_days")}))
    collection: dict[str, Any] = {"type": "FeatureCollection", "features": features,
                                  "tracegraph": {"skipped_without_coordinates": skipped}}
    if features:
        collection["bbox"] = bbox([f["geometry"] for f in features])
        for feature in features:
            if feature["geometry"]["type"] != "Point":
                feature["bbox"] = bbox([feature["geometry"]])
    return collection


def line(a: list[float], b: list[float]) -> dict[str, Any]:
    """The shorter way from ``a`` to ``b``: a LineString, or a MultiLineString cut at the antimeridian when the
    shorter way crosses it (RFC 7946 section 3.1.9); the cut latitude is interpolated along the segment.

    >>> line([144.79, 13.44], [-157.86, 21.31])["coordinates"]
    [[[144.79, 13.44], [180.0, 18.271782]], [[-180.0, 18.271782], [-157.86, 21.31]]]
    """
    (ax, ay), (bx, by) = a, b
    if abs(ax) == 180:  # on the antimeridian itself: take the side the other end is on
        a = [ax := math.copysign(180.0, bx), ay]
    if abs(bx) == 180:
        b = [bx := math.copysign(180.0, ax), by]
    if abs(bx - ax) <= 180:
        return {"type": "LineString", "coordinates": [a, b]}
    unwrapped_bx = bx + 360 if bx < ax else bx - 360  # continue past +-180 instead of going round the world
    edge = 180.0 if unwrapped_bx > ax else -180.0
    cut_lat = round(ay + (by - ay) * (edge - ax) / (unwrapped_bx - ax), 6)
    return {"type": "MultiLineString", "coordinates": [[a, [edge, cut_lat]], [[-edge, cut_lat], b]]}


def _arcs(geometry: dict[str, Any]) -> list[tuple[float, float]]:
    """Longitude intervals a geometry covers, none crossing +-180 (a cut line's parts meet there)."""
    kind, coords = geometry["type"], geometry["coordinates"]
    if kind == "Point":
        return [(coords[0], coords[0])]
    parts = coords if kind == "MultiLineString" else [coords]
    return [(min(p[0] for p in part), max(p[0] for p in part)) for part in parts]


def bbox(geometries: list[dict[str, Any]]) -> list[float]:
    """``[west, south, east, north]`` over the shortest longitude span covering everything (RFC 7946
    section 5.2): west > east when that span crosses the antimeridian.

    >>> bbox([line([144.79, 13.44], [-157.86, 21.31])])
    [144.79, 13.44, -157.86, 21.31]
    """
    lats = [p[1] for g in geometries for p in _points(g)]
    arcs = sorted(a for g in geometries for a in _arcs(g))
    merged: list[list[float]] = []
    for west, east in arcs:
        if merged and west <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], east)
        else:
            merged.append([west, east])
    # the widest empty stretch of longitude; the box is everything else
    gaps = [(merged[i + 1][0] - merged[i][1], i) for i in range(len(merged) - 1)]
    wrap = merged[0][0] + 360 - merged[-1][1] if not (merged[0][0] == -180 and merged[-1][1] == 180) else 0.0
    widest = max(gaps, default=(-1.0, -1))
    if widest[0] > wrap:
        west, east = merged[widest[1] + 1][0], merged[widest[1]][1]
    else:
        west, east = merged[0][0], merged[-1][1]
    return [west, min(lats), east, max(lats)]


def _points(geometry: dict[str, Any]) -> list[list[float]]:
    coords = geometry["coordinates"]
    if geometry["type"] == "Point":
        return [coords]
    if geometry["type"] == "MultiLineString":
        return [p for part in coords for p in part]
    return list(coords)


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def from_records(records: ScopeRecords, *, year: int | None = None, level: str | None = None,
                 layers: tuple[str, ...] = ("corridors", "hubs")) -> dict[str, Any]:
    """Pick the layers out of collected records (filtering corridors by year and level)."""
    flows = [f for f in records.flows if (year is None or f.get("year") == year)
             and (level is None or f.get("level") == level)]
    hubs = [loc for loc in records.locations if level is None or loc.get("kind") == level]
    return to_geojson(flows if "corridors" in layers else [], hubs if "hubs" in layers else [],
                      records.dealers if "dealers" in layers else None,
                      records.recoveries if "recoveries" in layers else None, locations=records.locations)
