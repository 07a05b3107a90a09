"""``GET /api/v1/corridors/map.svg?year=``: the corridor map the reports draw (exports/reports), for the workspace's
year slider. One drawing per year and snapshot, made on first request (the report reads the store once, under the
context's lock). The map carries corridor scores and hub cities, so it is marked as its report is (TLP:AMBER):
callers cleared below that get 403."""

from __future__ import annotations

from api.security import Principal
from api.services.release import Release
from api.services.snapshot import ApiContext
from exports.tlp import level
from graph.errors import Forbidden, InvalidInput, NotFound


def corridor_map(context: ApiContext, principal: Principal, *, year: int | None) -> str:
    """The SVG text (self-contained: no fonts, scripts or images from anywhere)."""
    from exports.reports.gather import corridor_report
    from exports.reports.render import corridor_map_svg

    release = Release(principal)
    snapshot = context.snapshot
    name = f"corridor-map:{year}"
    cached = snapshot.derived.get(name)
    if cached is None:
        with context.lock:
            try:
                report = corridor_report(context.store, year=year)
            except InvalidInput as exc:  # a year the store has no corridors for: nothing to draw
                raise NotFound(str(exc)) from None
        cached = (report.tlp, corridor_map_svg(report)[0])
        with snapshot.derived_lock:
            snapshot.derived[name] = cached
    tlp, drawing = cached
    if not release.clearance.may_see(level(str(tlp))):
        raise Forbidden(f"the corridor map is TLP:{tlp.upper()}: above your clearance "
                        f"(TLP ceiling {release.clearance.ceiling})")
    return str(drawing)
