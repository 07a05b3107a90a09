"""Report data -> one self-contained HTML document (and a PDF of it). Pure apart from :func:`write_pdf`.

The templates (``templates/*.html.j2``, package data) inline every style and drawing: no script, font, image
or stylesheet is fetched, so a report opens offline and prints the same through WeasyPrint.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from exports.reports import svg
from exports.reports.figures import Figure
from exports.reports.geo import Point
from exports.reports.models import CaseReport, CorridorReport, Provenance

MAP_ARROWS = 25
DIRECTION_WORDS = {"inbound": "inbound: ", "outbound": "outbound: ", "within": "within the region: "}
TLP_COLOURS = {"clear": ("#ffffff", "#000000"), "green": ("#33ff00", "#000000"), "amber": ("#ffc000", "#000000"),
               "amber+strict": ("#ffc000", "#000000"), "red": ("#ff2b2b", "#000000")}


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("exports.reports", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]), undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = _num
    env.filters["when"] = _when
    env.filters["css"] = _css_string
    return env


def _num(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def _when(value: Any) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat() if isinstance(value, date) else str(value)


def _drawn(svg_text: str) -> Markup:
    """An SVG element from :mod:`.svg`, where every text and attribute value is already escaped."""
    return Markup(svg_text)  # noqa: S704 - built by exports.reports.svg, which escapes every value it writes


def _css_string(value: Any) -> Markup:
    """Text for a CSS string literal inside <style> (no HTML escaping there): quotes, backslashes, '<' escaped."""
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ").replace("\n", " ")
    return Markup(text)  # noqa: S704 - quotes, backslashes and '<' escaped above: it cannot leave the string


def _marking(tlp: str) -> dict[str, str]:
    fg, bg = TLP_COLOURS.get(tlp, TLP_COLOURS["red"])
    return {"text": f"TLP:{tlp.upper()}", "fg": fg, "bg": bg}


def _provenance(p: Provenance) -> dict[str, Any]:
    return {"run_id": p.run_id or "no analysis run recorded", "run_finished": _when(p.run_finished),
            "code_version": p.code_version or "unknown", "seed": p.seed, "last_load": _when(p.last_load),
            "last_recovery": _when(p.last_recovery), "generated_at": _when(p.generated_at)}


def corridor_map_svg(report: CorridorReport) -> tuple[str, int, int]:
    """The map and how many of the strongest corridors it draws / had to leave off (no place on the map)."""
    best: dict[tuple[str, str], Any] = {}
    for c in report.corridors:  # ranked strongest first: keep each pair's strongest year
        best.setdefault(c.pair, c)
    chosen = list(best.values())[:MAP_ARROWS]
    top = max((c.score for c in chosen if c.score is not None and c.score > 0), default=1.0)
    arrows: list[tuple[Point, Point, float, str]] = []
    colors: list[str] = []
    left_off = 0
    for c in chosen:
        a = svg.place_point(c.source_state, c.source_lon, c.source_lat, report.level)
        b = svg.place_point(c.destination_state, c.destination_lon, c.destination_lat, report.level)
        if a is None or b is None or a == b:
            left_off += 1
            continue
        weight = max(c.score or 0.0, 0.0) / top
        score = "–" if c.score is None else f"{c.score:.2f}"
        tip = f"{' → '.join(c.ends(report.level))} {c.year}: {c.firearms} guns, {c.expected or 0:.1f} expected, " \
              f"score {score}"
        arrows.append((a, b, weight, f"{DIRECTION_WORDS.get(c.direction or '', '')}{tip}"))
        colors.append(svg.OUTBOUND if c.direction == "outbound" else svg.INBOUND)
    most = max((h.pagerank for h in report.hubs), default=1.0) or 1.0
    hubs: list[tuple[Point, float, str]] = []
    for h in report.hubs:
        point = svg.albers_usa(h.lon, h.lat)
        if point is not None:
            hubs.append((point, h.pagerank / most, h.name))
    legend = [(svg.INBOUND, f"into {report.region_label}"), (svg.OUTBOUND, f"out of {report.region_label}")] \
        if report.region else []
    drawing = svg.corridor_map(arrows, hubs, report.region, label=f"Corridor map: {report.title}", colors=colors,
                               legend=legend)
    return drawing, len(arrows), left_off


def render_corridor_html(report: CorridorReport, table_rows: int = 60) -> str:
    drawing, drawn, left_off = corridor_map_svg(report)
    labels = {c.pair: " → ".join(c.ends(report.level, short=True)) for c in report.corridors}
    series = [(labels.get(pair, " → ".join(pair)), points) for pair, points in report.series.items()]
    context = {
        "report": report, "title": report.title, "marking": _marking(report.tlp),
        "provenance": _provenance(report.provenance), "rows": report.corridors[:table_rows],
        "tables": ([("Inbound corridors", f"into {report.region_label}", "inbound",
                     report.inbound[:table_rows], len(report.inbound)),
                    ("Outbound corridors", f"out of {report.region_label}", "outbound",
                     report.outbound[:table_rows], len(report.outbound))] if report.region
                   else [("Ranked corridors", "", "corridors", report.corridors[:table_rows],
                          len(report.corridors))]),
        "total": len(report.corridors), "map": _drawn(drawing), "drawn": drawn, "left_off": left_off,
        "ttc": _drawn(svg.ttc_histogram(report.ttc_days, label=f"Time-to-crime: {report.title}"))
        if report.has_ttc else None,
        "trend": _drawn(svg.trend_chart(report.years, series, report.year, label=f"Trends: {report.title}")),
        "recoveries": len(report.ttc_days),
    }
    return _environment().get_template("corridors.html.j2").render(**context)


def render_case_html(report: CaseReport, figures: list[Figure] | None = None) -> str:
    """The case report's HTML; ``figures`` are link charts exported from the workspace (checked by
    :mod:`exports.reports.figures`), shown after the map."""
    names = {m.person_key: m.name or m.person_key for m in report.members}
    lanes = [(m.person_key, names[m.person_key]) for m in report.members]
    purchases = [(p.person_key, p.firearm_key, p.purchase_date, f"{p.purchase_date}: {p.firearm} from "
                                                                  f"{p.dealer_name}")
                 for p in report.purchases if p.purchase_date is not None]
    recoveries = [(r.purchaser_key, r.firearm_key, r.recovery_date, f"{r.recovery_date}: {r.trace_id} in {r.place}"
                                                                      f" ({r.ttc_days} days)")
                  for r in report.recoveries if r.recovery_date is not None]
    possessions = [(r.possessor_key, r.recovery_date, f"{r.recovery_date}: found with {r.trace_id} in {r.place}")
                   for r in report.recoveries if r.recovery_date is not None and r.possessor_key in names]
    dealer_at: dict[str, tuple[Point, str]] = {}
    for p in report.purchases:
        point = svg.albers_usa(p.dealer_lon, p.dealer_lat) if p.dealer_lon is not None and \
            p.dealer_lat is not None else None
        if point is not None and p.dealer_key:
            dealer_at[p.dealer_key] = (point, f"{p.dealer_name} ({p.dealer_place})")
    dealer_of = {(p.person_key, p.firearm_key): p.dealer_key for p in report.purchases}
    places: dict[str, Point] = {}
    links: Counter[tuple[str, str]] = Counter()
    for r in report.recoveries:
        point = svg.albers_usa(r.lon, r.lat) if r.lon is not None and r.lat is not None else None
        dealer = dealer_of.get((r.purchaser_key, r.firearm_key))
        if point is None:
            continue
        places[r.place] = point
        if dealer in dealer_at:
            links[(str(dealer), r.place)] += 1
    link_marks = [(dealer_at[d][0], places[p], n, f"{dealer_at[d][1]} → {p}: {n} recovered")
                  for (d, p), n in links.items() if dealer_at[d][0] != places[p]]
    states = sorted({s for s in [*(p.dealer_state for p in report.purchases), *(r.state for r in report.recoveries)]
                     if s})
    drawing = svg.case_map(list(dealer_at.values()), [(pt, name) for name, pt in places.items()], link_marks,
                           states, label=f"Network map: {report.network_id}")
    held = {r.possessor_key for r in report.recoveries if r.possessor_key}
    context = {
        "report": report, "title": report.title, "marking": _marking(report.tlp),
        "provenance": _provenance(report.provenance), "names": names,
        "timeline": _drawn(svg.timeline(lanes, purchases, recoveries, possessions,
                                        label=f"Timeline: {report.network_id}")),
        "map": _drawn(drawing), "bought": Counter(p.person_key for p in report.purchases),
        "recovered": Counter(r.purchaser_key for r in report.recoveries), "held": held,
        "figures": list(figures or []),
    }
    return _environment().get_template("case.html.j2").render(**context)


def write_report(html: str, out_dir: Path, stem: str, *, pdf: bool) -> dict[str, Any]:
    """Write ``<stem>.html`` (and ``<stem>.pdf``) into ``out_dir``; returns the paths (and the PDF's page count)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / f"{stem}.html"
    html_path.write_text(html, encoding="utf-8")
    written: dict[str, Any] = {"html": str(html_path)}
    if pdf:
        pdf_path = out_dir / f"{stem}.pdf"
        written["pdf"] = str(pdf_path)
        written["pdf_pages"] = write_pdf(html, pdf_path)
    return written


def write_pdf(html: str, path: Path) -> int:
    """Print the HTML with WeasyPrint (optional dependency ``tracegraph[pdf]``); returns the page count."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: the pango libraries are missing
        from graph.errors import InvalidInput

        raise InvalidInput(f"PDF output needs WeasyPrint and pango ({type(exc).__name__}); use --no-pdf") from None
    document = HTML(string=html, base_url=None).render()
    document.write_pdf(str(path))
    return len(document.pages)
