"""Hand-drawn inline SVG: the US map with corridor arrows and hubs, and the report charts.

Each function returns one ``<svg>`` element as a string (every text escaped), drawn with plain paths, lines,
circles and polygons only (no markers, filters or scripts) so browsers and WeasyPrint draw the same thing.
Marks carry ``class`` names (``state``, ``corridor``, ``hub``, ``bar``, ``trend-line``, ...) that the browser
tests measure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from html import escape

from exports.reports.geo import HEIGHT, WIDTH, Point, albers_usa, state_paths, state_points

PALETTE = ("#c0392b", "#2471a3", "#1e8449", "#b9770e", "#7d3c98", "#17a589", "#5d6d7e", "#a04000")
TTC_BINS: tuple[tuple[int, int | None, str], ...] = (
    (0, 90, "< 3 mo"), (90, 365, "3–12 mo"), (365, 730, "1–2 y"), (730, 1095, "2–3 y"), (1095, 1825, "3–5 y"),
    (1825, 3650, "5–10 y"), (3650, None, "10+ y"))


def _t(value: object) -> str:
    return escape(str(value), quote=True)


def _svg(width: float, height: float, body: list[str], label: str, css_class: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" viewBox="0 0 {width:g} {height:g}" '
            f'width="{width:g}" height="{height:g}" role="img" aria-label="{_t(label)}">'
            f'<title>{_t(label)}</title>{"".join(body)}</svg>')


def states_layer(highlight: Sequence[str] = ()) -> list[str]:
    out = ['<g class="states">']
    for code, data in sorted(state_paths().items()):
        fill = "#f6dfc4" if code in highlight else "#eef0f2"
        out.append(f'<path class="state" data-state="{_t(code)}" d="{data}" fill="{fill}" stroke="#9aa3ab" '
                   f'stroke-width="0.6"><title>{_t(code)}</title></path>')
    out.append("</g>")
    return out


def arrow(a: Point, b: Point, *, width: float, color: str, opacity: float, bend: float = 0.18,
          css_class: str = "corridor", label: str = "") -> str:
    """A curved arrow from ``a`` to ``b``: a quadratic curve bent to the left and a filled head touching ``b``."""
    (x0, y0), (x1, y1) = a, b
    dx, dy = x1 - x0, y1 - y0
    length = math.hypot(dx, dy) or 1.0
    cx, cy = (x0 + x1) / 2 - dy * bend, (y0 + y1) / 2 + dx * bend
    tx, ty = x1 - cx, y1 - cy  # tangent at the end
    tl = math.hypot(tx, ty) or 1.0
    ux, uy = tx / tl, ty / tl
    head = min(4 + 2.2 * width, length / 2.5)
    bx, by = x1 - ux * head, y1 - uy * head  # where the shaft stops and the head starts
    half = head * 0.55
    left = (bx - uy * half, by + ux * half)
    right = (bx + uy * half, by - ux * half)
    return (f'<g class="{css_class}" opacity="{opacity:.2f}"><title>{_t(label)}</title>'
            f'<path d="M{x0:.1f},{y0:.1f}Q{cx:.1f},{cy:.1f} {bx:.1f},{by:.1f}" fill="none" stroke="{color}" '
            f'stroke-width="{width:.2f}" stroke-linecap="round"/>'
            f'<polygon points="{x1:.1f},{y1:.1f} {left[0]:.1f},{left[1]:.1f} {right[0]:.1f},{right[1]:.1f}" '
            f'fill="{color}"/></g>')


def _project(lon: float | None, lat: float | None) -> Point | None:
    return None if lon is None or lat is None else albers_usa(lon, lat)


INBOUND, OUTBOUND = "#b03a2e", "#1f6fb2"  # corridor colours: into the region (red), out of it (blue)


def corridor_map(arrows: Sequence[tuple[Point, Point, float, str]], hubs: Sequence[tuple[Point, float, str]],
                 highlight: Sequence[str] = (), *, label: str = "Corridor map", colors: Sequence[str] = (),
                 legend: Sequence[tuple[str, str]] = ()) -> str:
    """``arrows``: (from, to, significance 0..1, tooltip), projected; ``hubs``: (point, weight 0..1, name);
    ``colors``: one per arrow (default :data:`INBOUND`); ``legend``: (colour, text) entries drawn bottom left."""
    body = [f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>', *states_layer(highlight),
            '<g class="corridors">']
    coloured = [(*item, colors[i] if i < len(colors) else INBOUND) for i, item in enumerate(arrows)]
    for a, b, weight, tip, color in sorted(coloured, key=lambda item: item[2]):  # strongest drawn last, on top
        w = max(0.0, min(1.0, weight))
        body.append(arrow(a, b, width=1.2 + 7.0 * w, color=color, opacity=0.3 + 0.65 * w, label=tip))
    body.append("</g>")
    if legend:
        body.append('<g class="legend">')
        for i, (color, text) in enumerate(legend):
            row = HEIGHT - 16 - 16 * (len(legend) - 1 - i)
            body.append(f'<line x1="12" y1="{row}" x2="40" y2="{row}" stroke="{_t(color)}" stroke-width="4"/>'
                        f'<text x="46" y="{row + 4}" font-size="11" fill="#333">{_t(text)}</text>')
        body.append("</g>")
    body.append('<g class="hubs">')
    placed: list[tuple[float, float, float, float]] = []  # label boxes already drawn (strongest hubs first)
    for (x, y), weight, name in sorted(hubs, key=lambda item: -item[1]):
        r = 3 + 9 * math.sqrt(max(0.0, min(1.0, weight)))
        body.append(f'<circle class="hub" cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="#1f4e79" fill-opacity="0.55" '
                    f'stroke="#ffffff" stroke-width="1"><title>{_t(name)}</title></circle>')
        box = (x + r + 2, y - 7, x + r + 2 + 5.6 * len(name), y + 4)
        if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
            continue  # the label would overlap a stronger hub's: the circle keeps its tooltip
        placed.append(box)
        body.append(f'<text x="{box[0]:.1f}" y="{y + 3:.1f}" font-size="10" fill="#1f4e79">{_t(name)}</text>')
    body.append("</g>")
    return _svg(WIDTH, HEIGHT, body, label, "map")


def place_point(state: str | None, lon: float | None, lat: float | None, level: str) -> Point | None:
    """Where a corridor end sits on the map: the state centroid at state level, the place itself otherwise."""
    if level == "state":
        return state_points().get(state or "") if state else None
    return _project(lon, lat)


def _axes(x0: float, y0: float, x1: float, y1: float, ticks: Sequence[tuple[float, str]]) -> list[str]:
    out = [f'<line x1="{x0}" y1="{y1}" x2="{x1}" y2="{y1}" stroke="#555"/>',
           f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1}" stroke="#555"/>']
    for y, text in ticks:
        out.append(f'<line x1="{x0 - 4}" y1="{y:.1f}" x2="{x1}" y2="{y:.1f}" stroke="#e3e6e8"/>')
        out.append(f'<text x="{x0 - 6}" y="{y + 3:.1f}" font-size="10" text-anchor="end" fill="#333">{_t(text)}'
                   f'</text>')
    return out


def nice_max(value: float) -> float:
    """The next 1/2/5 x 10^k at or above ``value`` (axis top)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value)


def ttc_histogram(days: Sequence[int], *, label: str = "Time-to-crime distribution") -> str:
    """Bars of recoveries per time-to-crime band (ATF's bands; under 3 years is the usual trafficking flag)."""
    width, height, left, top, bottom = 560.0, 260.0, 48.0, 16.0, 214.0
    counts = [sum(1 for d in days if lo <= d and (hi is None or d < hi)) for lo, hi, _ in TTC_BINS]
    top_value = nice_max(max(counts, default=0))
    ticks = [(bottom - (bottom - top) * f, f"{top_value * f:g}") for f in (0, 0.25, 0.5, 0.75, 1)]
    body = _axes(left, top, width - 8, bottom, ticks)
    slot = (width - 8 - left) / len(TTC_BINS)
    for i, ((lo, _hi, name), n) in enumerate(zip(TTC_BINS, counts, strict=True)):
        h = (bottom - top) * n / top_value
        x = left + i * slot + slot * 0.15
        color = "#b03a2e" if lo < 1095 else "#7f8c8d"
        body.append(f'<rect class="bar" x="{x:.1f}" y="{bottom - h:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" '
                    f'fill="{color}"><title>{_t(name)}: {n}</title></rect>')
        body.append(f'<text x="{x + slot * 0.35:.1f}" y="{bottom - h - 3:.1f}" font-size="10" '
                    f'text-anchor="middle">{n}</text>')
        body.append(f'<text x="{x + slot * 0.35:.1f}" y="{bottom + 14:.1f}" font-size="10" '
                    f'text-anchor="middle">{_t(name)}</text>')
    if days:
        ordered = sorted(days)
        median = ordered[len(ordered) // 2] if len(ordered) % 2 else (ordered[len(ordered) // 2 - 1]
                                                                      + ordered[len(ordered) // 2]) / 2
        body.append(f'<text x="{left}" y="{height - 12}" font-size="11">{len(days):,} recoveries; median '
                    f'{median:g} days; {sum(1 for d in days if d < 1095) / len(days):.0%} under 3 years</text>')
    else:
        body.append(f'<text x="{left}" y="{height - 12}" font-size="11">no recoveries with a time-to-crime</text>')
    return _svg(width, height, body, label, "chart ttc")


def trend_chart(years: Sequence[int], series: Sequence[tuple[str, Sequence[tuple[int, int]]]],
                selected: int | None = None, *, label: str = "Corridor trends") -> str:
    """Firearms per year of each charted corridor (one coloured line each), the selected year shaded."""
    width, left, top, bottom, right = 560.0, 48.0, 16.0, 200.0, 552.0
    height = bottom + 30 + 15 * len(series)
    top_value = nice_max(max((n for _, points in series for _, n in points), default=0))
    ticks = [(bottom - (bottom - top) * f, f"{top_value * f:g}") for f in (0, 0.25, 0.5, 0.75, 1)]
    body = _axes(left, top, right, bottom, ticks)
    span = max(len(years) - 1, 1)

    def x_of(year: int) -> float:
        return left + 14 + (right - left - 28) * (years.index(year) / span if len(years) > 1 else 0.5)

    if selected is not None and selected in years:
        xs = x_of(selected)
        body.append(f'<rect class="selected-year" x="{xs - 12:.1f}" y="{top}" width="24" height="{bottom - top}" '
                    f'fill="#fcf3cf"/>')
    for year in years:
        body.append(f'<text x="{x_of(year):.1f}" y="{bottom + 14}" font-size="10" text-anchor="middle">{year}</text>')
    for i, (name, points) in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        coords = [(x_of(y), bottom - (bottom - top) * n / top_value) for y, n in points if y in years]
        if not coords:
            continue
        body.append(f'<polyline class="trend-line" points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in coords)}" '
                    f'fill="none" stroke="{color}" stroke-width="2"><title>{_t(name)}</title></polyline>')
        body.extend(f'<circle class="trend-point" cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>'
                    for x, y in coords)
        ly = bottom + 32 + 15 * i
        body.append(f'<line x1="{left}" y1="{ly - 4}" x2="{left + 18}" y2="{ly - 4}" stroke="{color}" '
                    f'stroke-width="3"/><text x="{left + 24}" y="{ly}" font-size="11">{_t(name)}</text>')
    if not series:
        body.append(f'<text x="{left + 10}" y="{top + 20}" font-size="11">no corridors in this selection</text>')
    return _svg(width, height, body, label, "chart trend")


def timeline(lanes: Sequence[tuple[str, str]], purchases: Sequence[tuple[str, str, date, str]],
             recoveries: Sequence[tuple[str, str, date, str]], possessions: Sequence[tuple[str, date, str]] = (),
             *, label: str = "Timeline") -> str:
    """One lane per member (key, label). ``purchases``/``recoveries``: (lane key, firearm key, date, tooltip).
    A purchase is a circle, a recovery a red diamond on the purchaser's lane, joined when it is the same gun;
    ``possessions`` (lane key, date, tooltip) are recoveries from a member, a hollow diamond on their lane."""
    dates = [d for _, _, d, _ in (*purchases, *recoveries)] + [d for _, d, _ in possessions]
    left, right, top, lane_h = 170.0, 740.0, 28.0, 22.0
    height = top + lane_h * max(len(lanes), 1) + 30
    body: list[str] = []
    if not dates:
        body.append(f'<text x="10" y="{top}" font-size="11">no dated purchases or recoveries</text>')
        return _svg(760, height, body, label, "chart timeline")
    first, last = min(dates), max(dates)
    first, last = date(first.year, 1, 1), date(last.year + 1, 1, 1)
    total = (last - first).days or 1

    def x_of(day: date) -> float:
        return left + (right - left) * (day - first).days / total

    for year in range(first.year, last.year + 1):
        x = x_of(date(year, 1, 1))
        body.append(f'<line x1="{x:.1f}" y1="{top - 8}" x2="{x:.1f}" y2="{height - 24}" stroke="#e3e6e8"/>')
        if year < last.year:  # the closing gridline needs no label
            body.append(f'<text x="{x + 2:.1f}" y="{top - 12}" font-size="10" fill="#555">{year}</text>')
    lane_y = {key: top + lane_h * i + lane_h / 2 for i, (key, _) in enumerate(lanes)}
    for key, name in lanes:
        body.append(f'<text x="{left - 8}" y="{lane_y[key] + 3:.1f}" font-size="10" text-anchor="end">{_t(name)}'
                    f'</text><line x1="{left}" y1="{lane_y[key]:.1f}" x2="{right}" y2="{lane_y[key]:.1f}" '
                    f'stroke="#f0f0f0"/>')
    bought = {(lane, gun): d for lane, gun, d, _ in purchases}
    for lane, gun, day, tip in recoveries:
        start = bought.get((lane, gun))
        if start is not None and lane in lane_y:
            body.append(f'<line class="held" x1="{x_of(start):.1f}" y1="{lane_y[lane]:.1f}" x2="{x_of(day):.1f}" '
                        f'y2="{lane_y[lane]:.1f}" stroke="#e6b0aa" stroke-width="3"><title>{_t(tip)}</title></line>')
    for lane, _gun, day, tip in purchases:
        if lane in lane_y:
            body.append(f'<circle class="purchase" cx="{x_of(day):.1f}" cy="{lane_y[lane]:.1f}" r="4" '
                        f'fill="#2471a3"><title>{_t(tip)}</title></circle>')
    for lane, _gun, day, tip in recoveries:
        if lane in lane_y:
            x, y = x_of(day), lane_y[lane]
            body.append(f'<polygon class="recovery" points="{x:.1f},{y - 6:.1f} {x + 5:.1f},{y:.1f} {x:.1f},'
                        f'{y + 6:.1f} {x - 5:.1f},{y:.1f}" fill="#b03a2e"><title>{_t(tip)}</title></polygon>')
    for lane, day, tip in possessions:
        if lane in lane_y:
            x, y = x_of(day), lane_y[lane]
            body.append(f'<polygon class="possession" points="{x:.1f},{y - 6:.1f} {x + 5:.1f},{y:.1f} {x:.1f},'
                        f'{y + 6:.1f} {x - 5:.1f},{y:.1f}" fill="#ffffff" stroke="#b03a2e" stroke-width="1.5">'
                        f'<title>{_t(tip)}</title></polygon>')
    body.append(f'<circle cx="{left}" cy="{height - 10}" r="4" fill="#2471a3"/><text x="{left + 8}" '
                f'y="{height - 7}" font-size="10">purchase</text><polygon points="{left + 80},{height - 16} '
                f'{left + 85},{height - 10} {left + 80},{height - 4} {left + 75},{height - 10}" fill="#b03a2e"/>'
                f'<text x="{left + 90}" y="{height - 7}" font-size="10">recovery (line: time to crime)</text>'
                f'<polygon points="{left + 280},{height - 16} {left + 285},{height - 10} {left + 280},{height - 4} '
                f'{left + 275},{height - 10}" fill="#ffffff" stroke="#b03a2e"/><text x="{left + 290}" '
                f'y="{height - 7}" font-size="10">found in a member\'s possession</text>')
    return _svg(760, height, body, label, "chart timeline")


def case_map(dealers: Sequence[tuple[Point, str]], places: Sequence[tuple[Point, str]],
             links: Sequence[tuple[Point, Point, int, str]], highlight: Sequence[str] = (), *,
             label: str = "Network map") -> str:
    """Purchase dealers (squares) -> recovery places (circles); arrow width grows with the guns on a link."""
    body = [f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>', *states_layer(highlight),
            '<g class="corridors">']
    most = max((n for *_, n, _ in links), default=1)
    for a, b, n, tip in links:
        w = n / most
        body.append(arrow(a, b, width=1.2 + 5 * w, color="#b03a2e", opacity=0.45 + 0.5 * w, label=tip))
    body.append('</g><g class="places">')
    for (x, y), name in dealers:
        body.append(f'<rect class="dealer" x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" fill="#2471a3">'
                    f'<title>{_t(name)}</title></rect>')
    for (x, y), name in places:
        body.append(f'<circle class="recovery-place" cx="{x:.1f}" cy="{y:.1f}" r="5" fill="#b03a2e">'
                    f'<title>{_t(name)}</title></circle>')
    body.append("</g>")
    return _svg(WIDTH, HEIGHT, body, label, "map")
