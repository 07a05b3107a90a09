"""Single entities: a firearm with its trace chain, a person with their neighbourhood, a dealer profile, a
network, and search by name / serial / license number."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from algorithms.chain import FirearmChain
from algorithms.paths import EntityRef, parse_reference
from api.security import Principal
from api.services import models as m
from api.services import transparency
from api.services.firearm_chain import firearm_chain as shared_chain
from api.services.graph_views import neighbourhood
from api.services.port import SnapshotPort
from api.services.ranking import parse_indicators as indicators
from api.services.release import Release
from api.services.search import search as shared_search
from api.services.snapshot import ApiContext, Snapshot
from graph.errors import Forbidden, NotFound


def _node(context: ApiContext, label: str, key: str) -> dict[str, Any]:
    props = context.snapshot.nodes[label].get(key)
    if props is None:
        raise NotFound(f"no {label} with that key")
    return props


def _with_indicators(props: dict[str, Any], column: str) -> dict[str, Any]:
    if column in props:
        return {**props, "indicators": indicators(props.get(column))}
    return props


def _chain_person(release: Release, key: str, last: str | None, first: str | None, dob: Any) -> m.ChainPerson:
    if release.full_persons:
        return m.ChainPerson(person_key=key, last_name=last, first_name=first, dob=dob)
    return m.ChainPerson(person_key=release.key("Person", key) or "", masked=True)


def get_firearm(context: ApiContext, principal: Principal, firearm_key: str) -> m.FirearmOut:
    release = Release(principal)
    firearm = release.require("Firearm", _node(context, "Firearm", firearm_key))
    chain: FirearmChain = shared_chain(SnapshotPort(context.snapshot), EntityRef("Firearm", firearm_key))
    withheld: list[str] = []
    sales = [m.ChainSale(dealer_key=s.dealer_key, license_number=s.license_number, business_name=s.business_name,
                         premise_city=s.premise_city, premise_state=s.premise_state, sale_date=s.sale_date)
             for s in chain.sales] if release.visible("Dealer") else []
    purchases: list[m.ChainPurchase] = []
    if release.any_persons:
        purchases = [m.ChainPurchase(purchaser=_chain_person(release, p.person_key, p.last_name, p.first_name,
                                                             p.dob),
                                     sale_id=p.sale_id, purchase_date=p.purchase_date, dealer_key=p.dealer_key,
                                     multiple_sale=p.multiple_sale, report_id=p.report_id, source=p.source)
                     for p in chain.purchases]
    elif chain.purchases:
        withheld.append("purchases")
    recoveries: list[m.ChainRecovery] = []
    links: list[m.ChainNibinLink] = []
    if release.visible("Recovery"):
        recoveries = [m.ChainRecovery(
            trace_id=r.trace_id, recovery_date=r.recovery_date, recovery_city=r.recovery_city,
            recovery_state=r.recovery_state, crime_code=r.crime_code, time_to_crime_days=r.time_to_crime_days,
            reported_stolen=r.reported_stolen, stolen_report_id=r.stolen_report_id,
            possessors=[_chain_person(release, x.person_key, x.last_name, x.first_name, x.dob)
                        for x in r.possessors] if release.any_persons else [])
            for r in chain.recoveries]
        links = [m.ChainNibinLink(lead_id=n.lead_id, trace_id=n.trace_id, linked_trace_id=n.linked_trace_id,
                                  lead_date=n.lead_date, status=n.status) for n in chain.nibin_links]
    elif chain.recoveries:
        withheld += ["recoveries", "nibin_links"]
    return m.FirearmOut(firearm=m.FirearmNode.model_validate(firearm), sales=sales, purchases=purchases,
                        recoveries=recoveries, nibin_links=links, withheld=withheld)


def get_person(context: ApiContext, principal: Principal, person_key: str, depth: int, limit: int) -> m.PersonOut:
    release = Release(principal)
    person = release.require("Person", _with_indicators(_node(context, "Person", person_key), "straw_indicators"))
    view = neighbourhood(context.snapshot, release, EntityRef("Person", person_key), depth=depth, limit=limit)
    return m.PersonOut(person=m.PersonNode.model_validate(person), neighbourhood=view)


def get_dealer(context: ApiContext, principal: Principal, reference: str) -> m.DealerOut:
    release = Release(principal)
    snapshot = context.snapshot
    key = snapshot.licenses.get(reference.strip().upper()) or parse_reference(f"dealer:{reference}").key
    dealer = release.require("Dealer", _with_indicators(_node(context, "Dealer", key), "anomaly_indicators"))
    inspections: list[m.InspectionOut] = []
    for inspection in snapshot.nodes["Inspection"].many(snapshot.inspections_of.get(key, [])):
        shown = release.node("Inspection", inspection)
        if shown is None:
            continue
        violations = [release.node("Violation", v) for v in
                      snapshot.nodes["Violation"].many(snapshot.violations_of.get(inspection["inspection_id"], []))]
        inspections.append(m.InspectionOut(
            inspection=m.InspectionNode.model_validate(shown),
            violations=[m.ViolationNode.model_validate(v) for v in violations if v is not None]))
    inspections.sort(key=lambda i: (str(getattr(i.inspection, "inspection_date", "") or ""),
                                    str(getattr(i.inspection, "inspection_id", ""))))
    by_year = traces_by_year(snapshot).get(key, []) if release.visible("Recovery") else []
    return m.DealerOut(dealer=m.DealerNode.model_validate(dealer), inspections=inspections,
                       transparency=transparency.transparency(snapshot, release, key,
                                                              context.settings.hotspot_rule),
                       traces_by_year=[m.YearTraces(year=y, traces=n) for y, n in by_year])


def traces_by_year(snapshot: Snapshot) -> dict[str, list[tuple[int, int]]]:
    """Per dealer key, (recovery year, recoveries of firearms it sold) in year order: SOLD joined to RECOVERED_IN
    and the recovery date, once per snapshot."""
    found = snapshot.derived.get("dealer-traces-by-year")
    if found is not None:
        return dict(found)
    import pandas as pd

    sold = snapshot.chains.sold.data.table.select(["src", "dst"]).to_pandas()
    recovered = snapshot.chains.recovered.data.table.select(["src", "dst"]).to_pandas()
    recoveries = snapshot.nodes["Recovery"].table.select(["trace_id", "recovery_date"]).to_pandas()
    joined = (sold.rename(columns={"src": "dealer", "dst": "firearm"})
              .merge(recovered.rename(columns={"src": "firearm", "dst": "trace_id"}), on="firearm")
              .merge(recoveries, on="trace_id"))
    joined = joined[joined["recovery_date"].notna()]
    joined["year"] = pd.to_datetime(joined["recovery_date"]).dt.year
    counts = joined.groupby(["dealer", "year"]).size()
    table: dict[str, list[tuple[int, int]]] = {}
    for (dealer, year), count in sorted(counts.items()):
        table.setdefault(str(dealer), []).append((int(year), int(count)))
    with snapshot.derived_lock:
        snapshot.derived["dealer-traces-by-year"] = table
    return table


def get_dealer_profile_row(context: ApiContext, principal: Principal, reference: str) -> dict[str, Any]:
    """The dealer's transparency profile as one CSV row (verified_* / estimated_* columns)."""
    release = Release(principal)
    snapshot = context.snapshot
    key = snapshot.licenses.get(reference.strip().upper()) or parse_reference(f"dealer:{reference}").key
    release.require("Dealer", _node(context, "Dealer", key))
    return transparency.profile_csv_row(snapshot, release, key, context.settings.hotspot_rule)


def get_network(context: ApiContext, principal: Principal, network_id: str, limit: int) -> m.NetworkOut:
    release = Release(principal)
    network = release.require("Network", _node(context, "Network", network_id))
    keys = context.snapshot.members_of.get(network_id, [])
    people = context.snapshot.nodes["Person"].many(keys)
    people.sort(key=lambda p: (-(p.get("straw_score") or 0.0), p["person_key"]))
    members = [release.node("Person", _with_indicators(p, "straw_indicators")) for p in people[:limit]]
    return m.NetworkOut(network=m.NetworkNode.model_validate(network),
                        members=[m.PersonNode.model_validate(p) for p in members if p is not None])


def search(context: ApiContext, principal: Principal, request: m.SearchRequest) -> m.SearchOut:
    """:func:`api.services.search.search` over the snapshot, released: names need personal-data clearance,
    firearms and dealers are dropped where their label is not released."""
    release = Release(principal)
    if request.kind == "name" and not release.full_persons:
        raise Forbidden("searching persons by name needs a role cleared for personal data")
    hits = shared_search(SnapshotPort(context.snapshot), request.kind, request.q, limit=request.limit)
    return m.SearchOut(items=[m.SearchHit.model_validate(asdict(h)) for h in hits if release.visible(h.label)])
