"""STIX 2.1 and GeoJSON exports of a scope, under the same release policy as every other surface.

The store is read once per API snapshot (``exports.stix_scope.collect_scope``, under the store lock, cached
like the TAXII collections) and each request restricts those records to its scope in memory:

* ``network`` — :func:`exports.stix_scope.restrict` with ``network:ID``;
* ``person`` — the person, the firearms they bought, those firearms' recoveries and dealers;
* ``dealer`` (license number or dealer key) — the dealer, the firearms it sold, their purchasers, recoveries;
* none of those — a corridor scope: FLOW corridors (``year``, ``level``, touching ``state``) and the places
  (all, or those in ``state`` and at the corridors' ends).

``year`` and ``level`` filter the corridors of every scope. The anchor must be releasable to the caller (a
partner asking for a network at GREEN, or for any TLP above their ceiling, gets 403); inside the scope
:func:`exports.stix.to_stix` keeps only objects marked at or below the requested TLP, persons masked for
partners. GeoJSON layers are checked the same way (recoveries are AMBER; corridor scores are AMBER, so they are
dropped below it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace

from api.security import Principal
from api.services import models as m
from api.services.release import Release
from api.services.snapshot import ApiContext
from exports.geojson import from_records
from exports.stix import bundle_dict, to_stix
from exports.stix_scope import Record, ScopeRecords, collect_scope, places_of, restrict
from exports.tlp import COMPUTED_TLP, LABEL_TLP, RELATIONSHIP_TLP, Level, level, rank
from graph.errors import Forbidden, InvalidInput, NotFound
from graph.schema import SCHEMA

#: hubs are places ranked by centrality scores (computed, so AMBER); corridors without their scores are GREEN
_LAYER_TLP: dict[str, Level] = {"corridors": RELATIONSHIP_TLP["FLOW"], "hubs": COMPUTED_TLP,
                                "dealers": LABEL_TLP["Dealer"], "recoveries": LABEL_TLP["Recovery"]}
_FLOW_COMPUTED = frozenset(p.name for p in SCHEMA.relationship("FLOW").properties if p.computed)


def store_records(context: ApiContext) -> ScopeRecords:
    """Everything an export may contain, read from the store once per snapshot (exports are rare and large)."""
    cache: dict[str, tuple[int, ScopeRecords]] = context.__dict__.setdefault("export_cache", {})
    version = id(context.snapshot)
    hit = cache.get("all")
    if hit is not None and hit[0] == version:
        return hit[1]
    with context.lock:
        records = collect_scope(context.store, "all")
    cache["all"] = (version, records)
    return records


def _anchor(release: Release, scope: m.ExportScope) -> None:
    anchors = [name for name in ("network", "person", "dealer") if getattr(scope, name) is not None]
    if len(anchors) > 1:
        raise InvalidInput(f"give at most one of network, person, dealer (got {', '.join(anchors)})")
    label = {"network": "Network", "person": "Person", "dealer": "Dealer"}.get(anchors[0]) if anchors else None
    if label is not None and not release.visible(label):
        raise Forbidden(f"a {label} scope is not released at your clearance (TLP ceiling "
                        f"{release.clearance.ceiling})")


def _flows(flows: list[Record], scope: m.ExportScope, places: set[str] | None) -> list[Record]:
    return [f for f in flows if (scope.year is None or f.get("year") == scope.year)
            and (scope.level is None or f.get("level") == scope.level)
            and (places is None or f["source_key"] in places or f["destination_key"] in places)]


def _around(records: ScopeRecords, firearms: list[Record], scope: m.ExportScope) -> ScopeRecords:
    """The records hanging off a set of firearms: purchasers, dealers, recoveries, networks, places."""
    firearm_keys = {f["firearm_key"] for f in firearms}
    purchasers = {p for f in firearms for p in f["purchaser_keys"]}
    dealer_keys = {d for f in firearms for d in f["dealer_keys"]}
    persons = [p for p in records.persons if p["person_key"] in purchasers]
    network_ids = {p.get("network_id") for p in persons if p.get("network_id")}
    recoveries = [r for r in records.recoveries if r["firearm_key"] in firearm_keys]
    dealers = [d for d in records.dealers if d["dealer_key"] in dealer_keys]
    places = places_of(recoveries) | places_of(dealers)
    flows = _flows(records.flows, scope, {str(p) for p in places})
    places |= {f["source_key"] for f in flows} | {f["destination_key"] for f in flows}
    return replace(records, networks=[n for n in records.networks if n["network_id"] in network_ids],
                   persons=persons, firearms=firearms, recoveries=recoveries, dealers=dealers, flows=flows,
                   locations=[loc for loc in records.locations if loc["location_key"] in places])


def scoped(context: ApiContext, release: Release, scope: m.ExportScope) -> ScopeRecords:
    """The records of one scope (before the TLP / role filtering of the exporter)."""
    _anchor(release, scope)
    records = store_records(context)
    if scope.network is not None:
        if context.snapshot.nodes["Network"].get(scope.network) is None:
            raise NotFound("no Network with that id")
        picked = restrict(records, f"network:{scope.network}")
        return replace(picked, flows=_flows(picked.flows, scope, None))
    if scope.person is not None:
        if context.snapshot.nodes["Person"].get(scope.person) is None:
            raise NotFound("no Person with that key")
        picked = _around(records, [f for f in records.firearms if scope.person in f["purchaser_keys"]], scope)
        if not any(p["person_key"] == scope.person for p in picked.persons):
            extra = [p for p in records.persons if p["person_key"] == scope.person]
            picked = replace(picked, persons=picked.persons + extra)
        return picked
    if scope.dealer is not None:
        snapshot = context.snapshot
        key = snapshot.licenses.get(scope.dealer.strip().upper()) or scope.dealer.strip()
        if snapshot.nodes["Dealer"].get(key) is None:
            raise NotFound("no Dealer with that license number or key")
        picked = _around(records, [f for f in records.firearms if key in f["dealer_keys"]], scope)
        if not any(d["dealer_key"] == key for d in picked.dealers):
            picked = replace(picked, dealers=picked.dealers + [d for d in records.dealers if d["dealer_key"] == key])
        return picked
    places = None
    if scope.state is not None:
        places = {loc["location_key"] for loc in records.locations
                  if str(loc.get("state") or "").upper() in (scope.state, f"US-{scope.state}")}
    flows = _flows(records.flows, scope, places)
    ends = {f["source_key"] for f in flows} | {f["destination_key"] for f in flows}
    return ScopeRecords(flows=flows, locations=[loc for loc in records.locations if places is None
                                                or loc["location_key"] in ends or loc["location_key"] in places])


def stix_bundle(context: ApiContext, principal: Principal, scope: m.ExportScope) -> bytes:
    release = Release(principal)
    wanted = level(scope.tlp) if scope.tlp else principal.clearance.ceiling
    if rank(wanted) > rank(principal.clearance.ceiling):
        raise Forbidden(f"role {principal.role} is not cleared for TLP:{wanted.upper()}")
    bundle = to_stix(scoped(context, release, scope), tlp=wanted, clearance=principal.clearance,
                     salt=principal.pseudonym_salt)
    return json.dumps(bundle_dict(bundle), ensure_ascii=False).encode("utf-8")


def geojson(context: ApiContext, principal: Principal, scope: m.ExportScope,
            wanted: Sequence[str] | None) -> bytes:
    release = Release(principal)
    if wanted is None:  # the default layers the caller is cleared for
        wanted = [name for name in ("corridors", "hubs") if principal.clearance.may_see(_LAYER_TLP[name])]
    layers = list(dict.fromkeys(wanted))
    for layer in layers:
        if not principal.clearance.may_see(_LAYER_TLP[layer]):
            raise Forbidden(f"the {layer} layer is TLP:{_LAYER_TLP[layer].upper()}, above your clearance")
    records = scoped(context, release, scope)
    if not principal.clearance.may_see(COMPUTED_TLP):  # corridor scores are analytic products (AMBER)
        records = replace(records, flows=[{k: (None if k in _FLOW_COMPUTED else v) for k, v in f.items()}
                                          for f in records.flows])
    collection = from_records(records, year=scope.year, level=scope.level, layers=tuple(layers))
    return json.dumps(collection, ensure_ascii=False, default=str).encode("utf-8")
