"""Store -> report data. Every read is a named statement (``cypher/report_*.cypher`` and the shared
``evidence_analysis_runs``); the selection and ranking rules live here, the drawing in :mod:`.render`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from algorithms.straw_rank import straw_ranks
from exports.reports.models import (
    CaseReport,
    Corridor,
    CorridorReport,
    Hub,
    Member,
    Provenance,
    Purchase,
    RecoveryEvent,
    finite,
    parse_indicators,
)
from exports.tlp import COMPUTED_TLP, LABEL_TLP, RELATIONSHIP_TLP, most_restrictive
from graph.errors import InvalidInput, NotFound
from graph.store import GraphStore

LEVELS = ("state", "city")
TABLE_ROWS = 60     # corridors in the ranked table
TREND_LINES = 6     # corridors in the trend chart
HUBS = 15


def known_states() -> set[str]:
    from loaders.domain.reference import states

    return {str(s) for s in states()["state"]}


def parse_region(text: str | None) -> tuple[str, ...]:
    """``"ny, NJ,CT"`` -> ``("CT", "NJ", "NY")``; empty/None/"ALL" -> ``()`` (every state)."""
    if text is None or text.strip().upper() in ("", "ALL"):
        return ()
    codes = [c.strip().upper() for c in text.split(",") if c.strip()]
    unknown = [c for c in codes if c not in known_states()]
    if unknown:
        raise InvalidInput(f"unknown state code {unknown[0]!r} in --region (use USPS codes, e.g. NY,NJ,CT)")
    return tuple(sorted(set(codes)))


#: The basis a report uses when none is asked for: the official ATF table, else the traces, else another table.
BASIS_PREFERENCE = ("atf_table", "traces")


def flow_bases(store: GraphStore, level: str) -> dict[str, list[int]]:
    """The years of corridors per basis at one level."""
    found: dict[str, list[int]] = {}
    for row in store.query("report_flow_years", {"level": level}).rows():
        found.setdefault(row.get("basis") or "traces", []).append(int(row["year"]))
    return found


def report_basis(bases: dict[str, list[int]], asked: str | None) -> str | None:
    if asked is not None:
        return asked
    for basis in (*BASIS_PREFERENCE, *sorted(bases)):
        if basis in bases:
            return basis
    return None


def flow_years(store: GraphStore, level: str, basis: str | None = None) -> list[int]:
    """The years of the corridors a report on ``basis`` (default: :data:`BASIS_PREFERENCE`) would show."""
    bases = flow_bases(store, level)
    return sorted(bases.get(report_basis(bases, basis) or "", []))


def provenance(store: GraphStore, run_ids: set[str]) -> Provenance:
    """The newest of the analysis runs that wrote the data shown (or the newest run at all)."""
    runs = store.query("evidence_analysis_runs", {"run_ids": sorted(run_ids)}).rows() if run_ids else []
    if not runs:
        runs = store.query("stix_analysis_runs").rows()
    runs.sort(key=lambda r: (r.get("finished_at") is not None, r.get("finished_at") or datetime.min), reverse=True)
    fresh = store.query("report_freshness").rows()
    f = fresh[0] if fresh else {}
    run = runs[0] if runs else {}
    return Provenance(run_id=run.get("run_id"), run_finished=run.get("finished_at"),
                      code_version=run.get("code_version"), seed=run.get("seed"), last_load=f.get("last_load"),
                      last_recovery=f.get("last_recovery"), generated_at=datetime.now(UTC).replace(microsecond=0))


def _corridor(row: dict[str, Any], region: tuple[str, ...]) -> Corridor:
    source_state, destination_state = row.get("src_state"), row.get("dst_state")
    direction = None
    if region:
        into, out_of = destination_state in region, source_state in region
        direction = "within" if into and out_of else "inbound" if into else "outbound"
    trend = row.get("trend")
    return Corridor(
        source=row["src"], destination=row["dst"], source_name=row.get("src_name") or row["src"],
        destination_name=row.get("dst_name") or row["dst"], source_state=source_state,
        destination_state=destination_state, year=int(row["year"]), firearms=int(row["firearms"] or 0),
        expected=finite(row.get("expected")), score=finite(row.get("score")), z=finite(row.get("z")),
        trend=trend if isinstance(trend, str) else None, median_ttc_days=finite(row.get("median_ttc_days")),
        source_lon=finite(row.get("src_lon")), source_lat=finite(row.get("src_lat")),
        destination_lon=finite(row.get("dst_lon")), destination_lat=finite(row.get("dst_lat")),
        basis=str(row.get("basis") or "traces"), direction=direction)


def touches(region: tuple[str, ...], source_state: str | None, destination_state: str | None) -> bool:
    """A corridor (or recovery) is in a region when it runs into or out of one of its states."""
    return not region or source_state in region or destination_state in region


def corridor_report(store: GraphStore, *, region: tuple[str, ...] = (), year: int | None = None,
                    level: str = "state", basis: str | None = None) -> CorridorReport:
    """Corridors into and out of ``region`` on one basis (default: the ATF table when loaded, else the traces),
    ranked by :func:`algorithms.corridor_query.select_corridors` as every other surface ranks them."""
    from algorithms.corridor_query import CorridorQuery, check_basis, records, select_corridors, store_flows

    if level not in LEVELS:
        raise InvalidInput(f"--level must be state or city, not {level!r}")
    bases = flow_bases(store, level)
    chosen = report_basis(bases, check_basis(basis))
    if chosen is None:
        raise NotFound(f"no {level}-level corridors in the store: needs state tables (`tracegraph load state-traces "
                       f"FILE`) or traces (`tracegraph load traces FILE`), then `tracegraph analyze`")
    if chosen not in bases:
        raise InvalidInput(f"no {level}-level corridors on basis {chosen}: the store holds {', '.join(sorted(bases))}")
    years = sorted(bases[chosen])
    if year is not None and year not in years:
        raise InvalidInput(f"no corridors for year {year} on basis {chosen}: the store has {years[0]}-{years[-1]}")
    picked = select_corridors(store_flows(store, level), CorridorQuery(basis=chosen, level=level, top=None))
    rows = records(picked.ranked)
    in_region = [_corridor(r, region) for r in rows
                 if touches(region, r.get("src_state"), r.get("dst_state"))]
    ranked = [c for c in in_region if year is None or c.year == year]
    charted: list[tuple[str, str]] = []
    for c in ranked:
        if c.pair not in charted:
            charted.append(c.pair)
        if len(charted) == TREND_LINES:
            break
    series: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for pair in charted:
        by_year = {c.year: c.firearms for c in in_region if c.pair == pair}
        series[pair] = [(y, by_year.get(y, 0)) for y in years]
    ttc = [int(r["ttc_days"]) for r in store.query("report_ttc").rows()
           if r.get("source_state") and r["source_state"] != r.get("destination_state")
           and touches(region, r["source_state"], r.get("destination_state"))
           and (year is None or _year(r.get("recovery_date")) == year)] if chosen == "traces" else []
    hubs = [Hub(key=r["location_key"], name=r.get("name") or r["location_key"], state=r.get("state"),
                lon=float(r["lon"]), lat=float(r["lat"]), pagerank=float(r["pagerank"]),
                betweenness=finite(r.get("betweenness")))
            for r in store.query("report_hubs", {"kind": "city", "limit": HUBS}).rows()
            if finite(r.get("lon")) is not None and finite(r.get("lat")) is not None] if chosen == "traces" else []
    run_ids = {str(r["analysis_run_id"]) for r in rows if isinstance(r.get("analysis_run_id"), str)}
    tlp = most_restrictive(RELATIONSHIP_TLP["FLOW"], COMPUTED_TLP, LABEL_TLP["Recovery"])
    return CorridorReport(region=region, year=year, level=level, corridors=ranked, years=years, series=series,
                          ttc_days=ttc, hubs=hubs, provenance=provenance(store, run_ids), tlp=tlp, basis=chosen,
                          bases=tuple(sorted(bases)))


def _year(value: Any) -> int | None:
    return value.year if isinstance(value, date) else None


def _place(city: Any, state: Any) -> str:
    return ", ".join(str(p).title() if i == 0 else str(p) for i, p in enumerate((city, state)) if p)


def case_report(store: GraphStore, network_id: str) -> CaseReport:
    params = {"network_id": network_id}
    found = store.query("report_network", params).rows()
    if not found:
        raise NotFound(f"no network {network_id!r} in the store (see `tracegraph communities`)")
    net = found[0]
    rows = store.query("report_network_members", params).rows()
    ranks = straw_ranks(store, [r["person_key"] for r in rows])  # derived from every score, never stored
    members = [Member(person_key=r["person_key"],
                      name=" ".join(str(p) for p in (r.get("first_name"), r.get("middle_name"), r.get("last_name"))
                                    if p),
                      dob=r.get("dob"), place=_place(r.get("city"), r.get("state")),
                      straw_score=finite(r.get("straw_score")), straw_rank=ranks.get(r["person_key"]),
                      indicators=parse_indicators(r.get("indicators")))
               for r in rows]
    members.sort(key=lambda m: (-(m.straw_score or 0.0), m.straw_rank or 10**9, m.person_key))
    purchases = [Purchase(person_key=r["person_key"], firearm_key=r["firearm_key"],
                          purchase_date=r.get("purchase_date"), dealer_key=r.get("dealer_key"),
                          dealer_name=r.get("business_name") or r.get("license_name") or (r.get("dealer_key") or "?"),
                          dealer_place=_place(r.get("dealer_city"), r.get("dealer_state")),
                          dealer_state=r.get("dealer_state"),
                          dealer_lon=finite(r.get("dealer_lon")), dealer_lat=finite(r.get("dealer_lat")),
                          firearm=" ".join(str(p) for p in (r.get("manufacturer"), r.get("model"),
                                                            r.get("weapon_type")) if p),
                          multiple_sale=bool(r.get("multiple_sale")))
                 for r in store.query("report_network_purchases", params).rows()]
    recoveries = [RecoveryEvent(trace_id=r["trace_id"], firearm_key=r["firearm_key"],
                                purchaser_key=r["purchaser_key"], recovery_date=r.get("recovery_date"),
                                place=_place(r.get("city"), r.get("state") or r.get("country")),
                                state=r.get("state"),
                                lon=finite(r.get("lon")), lat=finite(r.get("lat")),
                                ttc_days=r.get("ttc_days"), crime_code=r.get("crime_code"),
                                possessor_key=r.get("possessor_key"))
                  for r in store.query("report_network_recoveries", params).rows()]
    run_ids = {net["analysis_run_id"]} if net.get("analysis_run_id") else set()
    return CaseReport(network_id=net["network_id"], size=int(net.get("size") or len(members)),
                      score=finite(net.get("score")), algorithm=net.get("algorithm"), members=members,
                      purchases=purchases, recoveries=recoveries, provenance=provenance(store, run_ids),
                      tlp=most_restrictive(LABEL_TLP["Person"], LABEL_TLP["Network"], COMPUTED_TLP))
