"""What a STIX / GeoJSON export covers, one function for ``tracegraph export stix|geojson --scope`` and
``/api/v1/exports/*``: :func:`export_scope` cuts the exportable records (:func:`exports.stix_scope.collect_scope`)
down to one scope. The exporters then keep what the recipient's TLP and role allow.

Scopes (at most one anchor):

* ``network:ID`` — the network, its members (MEMBER_OF), the firearms they bought, those guns' recoveries and
  dealers;
* ``person:KEY`` — the person, the firearms they bought, those guns' recoveries, dealers and networks;
* ``dealer:LICENSE`` (full FFL number or dealer key) — the dealer, the firearms it sold, their purchasers,
  recoveries and networks;
* ``state:XX`` — everything in a state: dealers with premises there, recoveries there, the firearms of either,
  their purchasers and networks, the state's places and the corridors touching them (one meaning of "state" on
  every surface);
* ``all`` — everything (the CLI's default; the API, given no scope, exports the corridors alone: a whole store is
  TAXII's job).

``year`` and ``level`` keep the corridors of that year / level in every scope.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from exports.stix_scope import Record, ScopeRecords, places_of, restrict
from graph.errors import InvalidInput, NotFound

ANCHORS = ("network", "person", "dealer")


@dataclass(frozen=True)
class ExportScope:
    network: str | None = None
    person: str | None = None
    dealer: str | None = None
    state: str | None = None
    year: int | None = None
    level: str | None = None
    corridors_only: bool = False  # no anchor and no state: the corridors and the places, nothing else

    @classmethod
    def parse(cls, text: str, *, year: int | None = None, level: str | None = None) -> ExportScope:
        """The CLI's ``--scope``: ``all``, ``network:ID``, ``person:KEY``, ``dealer:LICENSE`` or ``state:XX``.

        >>> ExportScope.parse("state:ny").state, ExportScope.parse("dealer:1-54-00001").dealer
        ('NY', '1-54-00001')
        """
        kind, _, value = text.partition(":")
        value = value.strip()
        if kind == "all" and not value:
            return cls(year=year, level=level)
        if kind in (*ANCHORS, "state") and value:
            fields: dict[str, str | None] = {name: None for name in (*ANCHORS, "state")}
            fields[kind] = value.upper() if kind == "state" else value
            return cls(network=fields["network"], person=fields["person"], dealer=fields["dealer"],
                       state=fields["state"], year=year, level=level)
        raise InvalidInput(f"unknown scope {text!r}: use all, network:ID, person:KEY, dealer:LICENSE or state:XX")

    @property
    def anchor(self) -> str | None:
        anchors = [name for name in ANCHORS if getattr(self, name) is not None]
        if len(anchors) > 1:
            raise InvalidInput(f"give at most one of network, person, dealer (got {', '.join(anchors)})")
        return anchors[0] if anchors else None


def _flows(flows: list[Record], scope: ExportScope, places: set[str] | None) -> list[Record]:
    return [f for f in flows if (scope.year is None or f.get("year") == scope.year)
            and (scope.level is None or f.get("level") == scope.level)
            and (places is None or f["source_key"] in places or f["destination_key"] in places)]


def _around(records: ScopeRecords, firearms: list[Record], scope: ExportScope) -> ScopeRecords:
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


def dealer_key(records: ScopeRecords, reference: str) -> str | None:
    wanted = reference.strip().upper()
    return next((d["dealer_key"] for d in records.dealers
                 if str(d.get("license_number") or "").upper() == wanted or d["dealer_key"] == reference.strip()),
                None)


def export_scope(records: ScopeRecords, scope: ExportScope) -> ScopeRecords:
    """The records of ``scope`` (before the exporter's TLP and role filtering); NotFound for an absent anchor."""
    anchor = scope.anchor
    if anchor == "network":
        if not any(n["network_id"] == scope.network for n in records.networks):
            raise NotFound("no Network with that id")
        picked = restrict(records, f"network:{scope.network}")
        return replace(picked, flows=_flows(picked.flows, scope, None))
    if anchor == "person":
        person = [p for p in records.persons if p["person_key"] == scope.person]
        if not person:
            raise NotFound("no Person with that key")
        picked = _around(records, [f for f in records.firearms if scope.person in f["purchaser_keys"]], scope)
        if not any(p["person_key"] == scope.person for p in picked.persons):
            picked = replace(picked, persons=picked.persons + person)
        return picked
    if anchor == "dealer":
        key = dealer_key(records, str(scope.dealer))
        if key is None:
            raise NotFound("no Dealer with that license number or key")
        picked = _around(records, [f for f in records.firearms if key in f["dealer_keys"]], scope)
        if not any(d["dealer_key"] == key for d in picked.dealers):
            picked = replace(picked, dealers=picked.dealers + [d for d in records.dealers if d["dealer_key"] == key])
        return picked
    if scope.state is not None:
        picked = restrict(records, f"state:{scope.state}")
        return replace(picked, flows=_flows(picked.flows, scope, None))
    if scope.corridors_only:
        return ScopeRecords(flows=_flows(records.flows, scope, None), locations=records.locations)
    return replace(records, flows=_flows(records.flows, scope, None))
