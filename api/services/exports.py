"""STIX 2.1 and GeoJSON exports of a scope, under the same release policy as every other surface.

The store is read once per API snapshot (``exports.stix_scope.collect_scope``, under the store lock, cached
like the TAXII collections) and each request cuts those records to its scope in memory with the service the CLI
uses too (:mod:`api.services.export_scope`: network, person, dealer, state — everything in a state — or, given
none, the corridors and the places). ``year`` and ``level`` filter the corridors of every scope.

The anchor must be releasable to the caller (a partner asking for a network at GREEN, or for any TLP above their
ceiling, gets 403); inside the scope :func:`exports.stix.to_stix` keeps only objects marked at or below the
requested TLP, persons masked for partners. GeoJSON layers are checked the same way (recoveries are AMBER;
corridor scores are AMBER, so they are dropped below it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace

from api.security import Principal
from api.services import models as m
from api.services.export_scope import ExportScope, export_scope
from api.services.release import Release
from api.services.snapshot import ApiContext
from exports.geojson import from_records
from exports.stix import bundle_dict, to_stix
from exports.stix_scope import ScopeRecords, collect_scope
from exports.tlp import COMPUTED_TLP, LABEL_TLP, RELATIONSHIP_TLP, Level, level, rank
from graph.errors import Forbidden
from graph.schema import SCHEMA

#: hubs are places ranked by centrality scores (computed, so AMBER); corridors without their scores are GREEN
_LAYER_TLP: dict[str, Level] = {"corridors": RELATIONSHIP_TLP["FLOW"], "hubs": COMPUTED_TLP,
                                "dealers": LABEL_TLP["Dealer"], "recoveries": LABEL_TLP["Recovery"]}
_FLOW_COMPUTED = frozenset(p.name for p in SCHEMA.relationship("FLOW").properties if p.computed)


def store_records(context: ApiContext) -> ScopeRecords:
    """Everything an export may contain, read from the store once per snapshot (exports are rare and large) and
    kept with it."""
    snapshot = context.snapshot
    records: ScopeRecords | None = snapshot.derived.get("export_records")
    if records is None:
        with context.lock:
            records = collect_scope(context.store, "all")
        snapshot.derived["export_records"] = records
    return records


def scoped(context: ApiContext, release: Release, scope: m.ExportScope) -> ScopeRecords:
    """The records of one scope (:func:`api.services.export_scope.export_scope`, what the CLI's ``--scope``
    calls too; before the TLP / role filtering of the exporter). The anchor must be releasable to the caller."""
    wanted = ExportScope(network=scope.network, person=scope.person, dealer=scope.dealer, state=scope.state,
                         year=scope.year, level=scope.level,
                         corridors_only=scope.state is None)
    anchor = wanted.anchor
    label = {"network": "Network", "person": "Person", "dealer": "Dealer"}.get(anchor) if anchor else None
    if label is not None and not release.visible(label):
        raise Forbidden(f"a {label} scope is not released at your clearance (TLP ceiling "
                        f"{release.clearance.ceiling})")
    return export_scope(store_records(context), wanted)


def stix_bundle(context: ApiContext, principal: Principal, scope: m.ExportScope) -> tuple[bytes, int]:
    """The bundle (JSON bytes) and how many objects it carries (the dissemination record of a partner's read)."""
    release = Release(principal)
    wanted = level(scope.tlp) if scope.tlp else principal.clearance.ceiling
    if rank(wanted) > rank(principal.clearance.ceiling):
        raise Forbidden(f"role {principal.role} is not cleared for TLP:{wanted.upper()}")
    bundle = to_stix(scoped(context, release, scope), tlp=wanted, clearance=principal.clearance,
                     salt=principal.pseudonym_salt)
    return json.dumps(bundle_dict(bundle), ensure_ascii=False).encode("utf-8"), len(bundle.objects)


def geojson(context: ApiContext, principal: Principal, scope: m.ExportScope,
            wanted: Sequence[str] | None) -> tuple[bytes, int]:
    """The FeatureCollection (JSON bytes) and how many features it carries."""
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
    return json.dumps(collection, ensure_ascii=False, default=str).encode("utf-8"), len(collection["features"])
