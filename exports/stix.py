"""STIX 2.1 export: ``to_stix(records, tlp=..., clearance=..., salt=...) -> stix2.Bundle`` (pure).

Mapping (see docs/sharing.md): networks -> ``threat-actor`` (+ network extension) attributed-to their members;
dealers and agencies -> ``identity`` (organization); persons -> ``identity`` (individual; pseudonymous, without
name, DOB or address unless the clearance allows personal data); places -> ``location``; corridors ->
``relationship`` location -> location (+ corridor extension); trafficking methods -> ``attack-pattern``;
firearms -> ``firearm`` (declared new-sdo); recoveries -> ``sighting`` of the firearm (+ recovery extension,
which repeats the firearm's description for consumers that drop unknown SDOs, as does a standard ``note`` per
firearm); the analysis run -> ``report``.

Every object carries one official TLP 2.0 marking id; an object whose marking is above the requested level (or
the recipient's clearance) is left out, and so is every relationship or reference to it. Ids are UUIDv5 over the
object's canonical identity and timestamps come from the data, so re-exporting the same data yields the same
bundle.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable
from typing import Any

import stix2
from stix2.utils import parse_into_datetime
from stix2patterns.validator import run_validator

from exports import stix_build
from exports.canonical import TRACEGRAPH_NAMESPACE, uuid5_canonical
from exports.public import bundle_problems
from exports.stix_extensions import (
    EXT_IDS,
    FirearmSDO,
    extension_definitions,
    producer_identity,
    tlp_markings,
)
from exports.stix_scope import Record, ScopeRecords
from exports.tlp import (
    COMPUTED_TLP,
    LABEL_TLP,
    MARKING_IDS,
    RELATIONSHIP_TLP,
    Clearance,
    Level,
    allows,
    masked_person_level,
    most_restrictive,
    pseudonym,
    rank,
)
from graph.errors import Forbidden

EPOCH = "2000-01-01T00:00:00.000Z"
ATTACK_PATTERNS: dict[str, str] = {
    "straw-purchasing": "Straw purchasing: a buyer who passes the background check buys for someone who "
                        "cannot or will not.",
    "unlicensed-dealing": "Engaging in the business of dealing in firearms without a federal license.",
    "theft": "Theft of firearms from licensees, carriers or private owners.",
}


def stix_id(kind: str, identity: Any) -> str:
    return f"{kind}--{uuid5_canonical(TRACEGRAPH_NAMESPACE, {'type': kind, 'identity': identity})}"


def _ts(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    if isinstance(value, dt.date):
        return f"{value.isoformat()}T00:00:00.000Z"
    return str(value)


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, float) and value != value:  # NaN
            continue
        out[key] = value.isoformat() if isinstance(value, dt.date) else value
    return out


def _ext(name: str, values: dict[str, Any]) -> dict[str, Any]:
    return {EXT_IDS[name]: {"extension_type": "property-extension", **_clean(values)}}


def _json_list(value: Any) -> list[Any] | None:
    if value in (None, ""):
        return None
    try:
        loaded = json.loads(value) if isinstance(value, str) else value
    except json.JSONDecodeError:
        return [str(value)]
    return loaded if isinstance(loaded, list) else [loaded]


def as_of(records: ScopeRecords) -> str:
    """The fixed created/modified stamp: the latest analysis run's end, else the latest date in the data."""
    for run in records.analysis_runs:
        stamp = run.get("finished_at") or run.get("started_at")
        if stamp:
            return _ts(stamp) or EPOCH
    dates = [r.get("recovery_date") for r in records.recoveries] + \
            [d.get("last_verified_date") for d in records.dealers]
    known = [d for d in dates if d is not None]
    return (_ts(max(known)) or EPOCH) if known else EPOCH


def _naive(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
    return None


def _latest(*values: Any) -> dt.datetime | None:
    known = [v for v in (_naive(x) for x in values) if v is not None]
    return max(known) if known else None


# the timestamp properties the builder passes as text; stix2 parses each again with strptime (8 % of a build),
# so the builder parses each distinct text once with stix2's own parser and passes the datetime, which stix2
# then brings to the property's precision exactly as it does a text
_STAMPS = frozenset(("created", "modified", "valid_from", "first_seen", "last_seen", "published"))


def _stix2_build(cls: Any, **kwargs: Any) -> Any:
    return cls(allow_custom=False, **kwargs)


class _Builder:
    def __init__(self, ceiling: Level, clearance: Clearance, salt: str, stamp: str, *, full_checks: bool) -> None:
        self.ceiling, self.clearance, self.salt, self.stamp = ceiling, clearance, salt, stamp
        # the exporter's three shortcuts (:class:`GeneratedIndicator`, timestamps parsed once, :attr:`make`), or none
        self.indicator: type[stix2.Indicator] = stix2.Indicator if full_checks else GeneratedIndicator
        self.stamps = frozenset[str]() if full_checks else _STAMPS
        # each object by stix2's property checks without its __init__'s generic look-ups, a reference or stamp
        # checked once per bundle (exports/stix_build.py)
        self.make: Any = _stix2_build if full_checks else self._built
        self.memo: stix_build.Memo = {}
        self.objects: dict[str, Any] = {}
        self.levels: dict[str, Level] = {}
        self.learned: dict[str, dt.datetime | None] = {}  # when the graph learned what an object says
        self.parsed: dict[str, dt.datetime] = {}  # a timestamp's text, parsed as stix2 parses it

    def _built(self, cls: Any, **kwargs: Any) -> Any:
        return stix_build.build_with(self.memo, cls, kwargs)

    def add(self, cls: Any, marking: Level, learned: Any = None, **kwargs: Any) -> str | None:
        if not allows(self.ceiling, marking):
            return None
        refs = [v for k, v in kwargs.items() if k.endswith("_ref") and v] + \
               [x for k, v in kwargs.items() if k.endswith("_refs") for x in (v or [])]
        if any(ref not in self.objects for ref in refs):
            return None  # never point at something left out
        kwargs.setdefault("created", self.stamp)
        kwargs.setdefault("modified", self.stamp)
        values = _clean(kwargs)
        for key in self.stamps.intersection(values):  # most objects share a few stamps: parse each text once
            text = values[key]
            if isinstance(text, str):
                if text not in self.parsed:
                    self.parsed[text] = parse_into_datetime(text)
                values[key] = self.parsed[text]
        if self.make is not _stix2_build and "external_references" in values:
            # built here as each object is (stix2's ListProperty takes a built one as it is): from a dict, stix2
            # builds each of a bundle's ~22k references through its own __init__
            values["external_references"] = [self.make(stix2.ExternalReference, **ref)
                                             for ref in values["external_references"]]
        obj = self.make(cls, object_marking_refs=[MARKING_IDS[marking]], **values)
        self.objects[obj.id] = obj
        self.levels[obj.id] = marking
        self.learned[obj.id] = _naive(learned)
        return str(obj.id)

    def rel(self, source: str | None, rtype: str, target: str | None, identity: Any, marking: Level,
            **kwargs: Any) -> str | None:
        if not source or not target:
            return None
        level = most_restrictive(marking, self.levels[source], self.levels[target])
        learned = _latest(self.learned.get(source), self.learned.get(target))
        return self.add(stix2.Relationship, level, learned, id=stix_id("relationship", identity), source_ref=source,
                        relationship_type=rtype, target_ref=target, **kwargs)


def _places(record: Record) -> list[str]:
    keys = record.get("location_keys")
    if keys is None:
        keys = [record["location_key"]] if record.get("location_key") else []
    return [str(k) for k in keys]


def _location(b: _Builder, loc: Record) -> str | None:
    key = loc["location_key"]
    has_coords = loc.get("lat") is not None and loc.get("lon") is not None
    country = loc.get("country") or ("US" if key.startswith(("state:US", "city:US", "county:", "zip:")) else None)
    if not has_coords and not country:
        country = "US"
    state = loc.get("state")
    admin = state if state and "-" in str(state) else (f"US-{state}" if state and country == "US" else None)
    return b.add(stix2.Location, LABEL_TLP["Location"], loc.get("date_added"), id=stix_id("location", key),
                 name=loc.get("name") or key, latitude=loc.get("lat") if has_coords else None,
                 longitude=loc.get("lon") if has_coords else None, country=country, administrative_area=admin,
                 external_references=[{"source_name": "tracegraph", "external_id": key}])


def _person(b: _Builder, person: Record) -> str | None:
    key = person["person_key"]
    # in full only where both the recipient and the requested level allow a person in full (RED)
    masked = not (b.clearance.personal_data and allows(b.ceiling, LABEL_TLP["Person"]))
    level: Level = masked_person_level() if masked else LABEL_TLP["Person"]
    scored = person.get("straw_score") is not None or person.get("straw_indicators")
    if scored:
        level = most_restrictive(level, COMPUTED_TLP)
    ext = {"person_key": pseudonym(key, b.salt) if masked else key, "masked": masked,
           "state": person.get("state"), "straw_score": person.get("straw_score"),
           "straw_rank": person.get("straw_rank"), "straw_indicators": _json_list(person.get("straw_indicators")),
           "network_id": person.get("network_id")}
    if masked:
        name = ext["person_key"]
        contact = None
    else:
        parts = [person.get(k) for k in ("first_name", "middle_name", "last_name", "suffix")]
        name = " ".join(str(p) for p in parts if p) or key
        ext["dob"] = person.get("dob")
        address = [person.get(k) for k in ("street", "city", "state", "zip")]
        contact = ", ".join(str(a) for a in address if a) or None
    pid = b.add(stix2.Identity, level, person.get("date_added"), id=stix_id("identity", {"person": ext["person_key"]}),
                name=name, identity_class="individual", contact_information=contact, extensions=_ext("person", ext))
    if pid and scored:  # the score again in a standard note: MISP and OpenCTI drop property extensions
        facts = {k: ext.get(k) for k in ("straw_score", "straw_rank", "straw_indicators", "network_id")}
        _note(b, level, person.get("date_added"), {"straw": ext["person_key"]}, f"Straw purchase score of {name}",
              facts, [pid])
    return pid


def _note(b: _Builder, marking: Level, learned: Any, identity: Any, abstract: str, facts: dict[str, Any],
          refs: list[str]) -> str | None:
    lines = [f"{k}: {json.dumps(v) if isinstance(v, list | dict) else v}" for k, v in facts.items()
             if v not in (None, "", [])]
    return b.add(stix2.Note, marking, learned, id=stix_id("note", identity), abstract=abstract,
                 content="\n".join(lines) or abstract, object_refs=refs)


def _dealer(b: _Builder, dealer: Record, locations: dict[str, str]) -> str | None:
    name = dealer.get("business_name") or dealer.get("license_name") or f"FFL {dealer['dealer_key']}"
    refs = [{"source_name": "atf-ffl", "external_id": dealer.get("license_number") or dealer["dealer_key"],
             "description": "federal firearms license number"},
            {"source_name": "tracegraph", "external_id": dealer["dealer_key"]}]
    place = ", ".join(str(p) for p in (dealer.get("premise_city"), dealer.get("premise_state")) if p)
    return b.add(stix2.Identity, LABEL_TLP["Dealer"], dealer.get("date_added"),
                 id=stix_id("identity", {"dealer": dealer["dealer_key"]}),
                 name=name, identity_class="organization", sectors=["retail"],
                 description=f"Federal firearms licensee ({dealer.get('license_type_name') or 'type unknown'})"
                             + (f", {place}" if place else ""),
                 external_references=refs)


def _firearm(b: _Builder, firearm: Record) -> str | None:
    label = " ".join(str(firearm[k]) for k in ("manufacturer", "model", "caliber") if firearm.get(k))
    return b.add(FirearmSDO, LABEL_TLP["Firearm"], firearm.get("date_added"),
                 id=stix_id("firearm", firearm["firearm_key"]),
                 name=label or "firearm", firearm_key=firearm["firearm_key"],
                 serial_number=firearm.get("serial_number"), obliterated=firearm.get("obliterated"),
                 manufacturer=firearm.get("manufacturer"), importer=firearm.get("importer"),
                 model=firearm.get("model"), caliber=firearm.get("caliber"),
                 weapon_type=firearm.get("weapon_type"), country_of_manufacture=firearm.get("country_of_manufacture"))


_PATTERN_FIELDS = ("serial_number", "manufacturer", "model", "caliber", "weapon_type")


def _pattern_text(value: Any) -> str:
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def firearm_pattern(fields: list[tuple[str, Any]]) -> str:
    """The STIX pattern matching a firearm by ``fields`` (name, value): one comparison per field, each value a
    string literal (:func:`_pattern_text` escapes the quote and the backslash, the only characters a literal
    cannot carry as they are)."""
    return "[" + " AND ".join(f"x-tracegraph-firearm:{name} = {_pattern_text(value)}" for name, value in fields) + "]"


@functools.cache
def checked_shape(names: tuple[str, ...]) -> tuple[str, ...]:
    """``names`` once stix2-patterns' validator passed a pattern of that shape, else :class:`ValueError`.

    Whether a pattern of :func:`firearm_pattern` is valid depends on its field names only: the values are
    string literals, and the validator reads a literal's content only for ``hashes`` paths (never built here).
    tests/sharing/test_stix_generated.py checks that for any values."""
    errors = run_validator(firearm_pattern([(name, "x") for name in names]), "2.1")
    if errors:
        raise ValueError(f"firearm pattern over {names} is invalid: {errors[0]}")
    return names


class GeneratedIndicator(stix2.Indicator):
    """stix2's ``indicator`` for a pattern this module generated from a shape :func:`checked_shape` validated.

    stix2 3.0 has no switch for it: ``Indicator`` runs stix2-patterns' ANTLR parser on every ``stix`` pattern it is
    given (42 % of a whole-world bundle's build went there, the same few shapes re-parsed per firearm). Every
    other check of the object stays, and the object, its class's properties and its JSON are stix2's own. Imported
    bundles never meet this class: ``stix2.parse`` builds stix2's ``Indicator``, which validates each pattern."""

    def _check_object_constraints(self) -> None:
        super(stix2.Indicator, self)._check_object_constraints()  # stix2's checks but the pattern's re-parse
        valid_from, valid_until = self.get("valid_from"), self.get("valid_until")
        if valid_from and valid_until and valid_until <= valid_from:
            raise ValueError(f"{self.id} 'valid_until' must be greater than 'valid_from'")


def _firearm_indicator(b: _Builder, firearm: Record, fid: str | None, recovered: bool) -> str | None:
    """A standard ``indicator`` matching the firearm (serial and make), for consumers that drop the custom
    ``firearm`` SDO (misp-stix and OpenCTI do): recoveries are sightings of it, so they survive there too."""
    if fid is None:
        return None
    fields = [(name, firearm[name]) for name in _PATTERN_FIELDS if firearm.get(name) not in (None, "")]
    if not fields:
        fields = [("firearm_key", firearm["firearm_key"])]
    checked_shape(tuple(name for name, _ in fields))
    pattern = firearm_pattern(fields)
    label = " ".join(str(v) for k, v in fields if k != "serial_number")
    serial = firearm.get("serial_number")
    iid = b.add(b.indicator, LABEL_TLP["Firearm"], firearm.get("date_added"),
                id=stix_id("indicator", {"firearm": firearm["firearm_key"]}),
                name=f"Firearm {label}".strip() + (f" serial {serial}" if serial else ""),
                description=f"Traced firearm {firearm['firearm_key']}"
                            + (" recovered in crime" if recovered else ""),
                indicator_types=["malicious-activity" if recovered else "unknown"], pattern=pattern,
                pattern_type="stix", valid_from=EPOCH)
    b.rel(iid, "related-to", fid, {"indicator-of": firearm["firearm_key"]}, LABEL_TLP["Firearm"])
    return iid


def _firearm_note(b: _Builder, firearm: Record, fid: str | None, related: list[str]) -> None:
    """A standard ``note`` repeating the firearm's description, for consumers that drop the ``firearm`` SDO
    (misp-stix does, and then drops its sightings too)."""
    if fid is None:
        return
    fields = ("manufacturer", "model", "caliber", "weapon_type", "serial_number", "importer",
              "country_of_manufacture")
    lines = [f"{name}: {firearm[name]}" for name in fields if firearm.get(name) not in (None, "")]
    b.add(stix2.Note, LABEL_TLP["Firearm"], firearm.get("date_added"),
          id=stix_id("note", {"firearm": firearm["firearm_key"]}),
          abstract=f"Firearm {firearm.get('manufacturer') or ''} {firearm.get('model') or ''}".strip(),
          content="\n".join([f"firearm_key: {firearm['firearm_key']}", *lines]),
          object_refs=[fid, *sorted({r for r in related if r in b.objects})])


def _recovery(b: _Builder, rec: Record, firearm: Record | None, where: list[str]) -> str | None:
    # a sighting of the firearm's indicator (what MISP and OpenCTI read), else of the firearm itself
    indicator = stix_id("indicator", {"firearm": rec["firearm_key"]})
    fire_id = indicator if indicator in b.objects else stix_id("firearm", rec["firearm_key"])
    seen = _ts(rec.get("recovery_date") or rec.get("request_date")) or b.stamp
    ext = {"trace_id": rec["trace_id"], "request_date": rec.get("request_date"),
           "recovery_date": rec.get("recovery_date"), "recovery_state": rec.get("recovery_state"),
           "recovery_country": rec.get("recovery_country"), "crime_code": rec.get("crime_code"),
           "agency_ori": rec.get("agency_ori"), "trace_status": rec.get("trace_status"),
           "time_to_crime_days": rec.get("time_to_crime_days"), "location_key": rec.get("location_key"),
           "firearm_key": rec["firearm_key"]}
    for key in ("serial_number", "manufacturer", "model", "caliber", "weapon_type"):
        ext[key] = (firearm or {}).get(key)
    return b.add(stix2.Sighting, LABEL_TLP["Recovery"], rec.get("date_added"), id=stix_id("sighting", rec["trace_id"]),
                 sighting_of_ref=fire_id, where_sighted_refs=[w for w in where if w in b.objects], count=1,
                 first_seen=seen, last_seen=seen, created=seen, modified=seen,
                 description=f"Crime-gun recovery, trace {rec['trace_id']}", extensions=_ext("recovery", ext))


def _flow(b: _Builder, flow: Record) -> str | None:
    src, dst = stix_id("location", flow["source_key"]), stix_id("location", flow["destination_key"])
    if src not in b.objects or dst not in b.objects:
        return None
    computed = allows(b.ceiling, COMPUTED_TLP)
    values = {"source_key": flow["source_key"], "destination_key": flow["destination_key"],
              "year": flow.get("year"), "level": flow.get("level"), "basis": flow.get("basis"),
              "dataset": flow.get("dataset"),
              "firearms": flow.get("firearms"), "median_ttc_days": flow.get("median_ttc_days")}
    if computed:
        values.update(expected=flow.get("expected"), score=flow.get("score"), z_score=flow.get("z"),
                      trend=flow.get("trend"), trend_slope=flow.get("trend_slope"),
                      analysis_run_id=flow.get("analysis_run_id"))
    has_scores = any(values.get(k) is not None for k in ("expected", "score", "z_score", "trend"))
    level = most_restrictive(RELATIONSHIP_TLP["FLOW"], COMPUTED_TLP) if has_scores else RELATIONSHIP_TLP["FLOW"]
    identity = {"flow": [flow["source_key"], flow["destination_key"], flow.get("year"), flow.get("basis")]}
    rid = b.rel(src, "related-to", dst, identity, level, extensions=_ext("corridor", values),
                description=f"Firearms trafficking corridor ({flow.get('year')}, {flow.get('firearms')} firearms)")
    if rid:  # the figures again in a standard note on both places: MISP drops location-to-location relationships
        _note(b, b.levels[rid], b.learned.get(rid), identity,
              f"Trafficking corridor {flow['source_key']} -> {flow['destination_key']} ({flow.get('year')})",
              {k: v for k, v in values.items() if k not in ("source_key", "destination_key")}, [src, dst, rid])
    return rid


def to_stix(records: ScopeRecords, *, tlp: Level, clearance: Clearance, salt: str,
            full_checks: bool = False) -> stix2.Bundle:
    """The bundle a recipient with ``clearance`` receives when ``tlp`` is requested (pure, deterministic).
    ``full_checks`` builds it as stix2 alone would, re-parsing every pattern and timestamp the exporter wrote (the
    same bytes, ~1.7x the CPU: what tests and bench/bench_stix_build.py compare the exporter's shortcuts with)."""
    with stix_build.without_cycle_collection():
        b = _build(records, tlp=tlp, clearance=clearance, salt=salt, full_checks=full_checks)
        return stix2.Bundle(objects=list(b.objects.values()), id=_bundle_id(b.objects, tlp, clearance),
                            allow_custom=True)


def to_stix_dated(records: ScopeRecords, *, tlp: Level, clearance: Clearance,
                  salt: str) -> tuple[stix2.Bundle, dict[str, str]]:
    """:func:`to_stix` and, per object id, when the graph learned that version of the object (TAXII
    ``date_added``): the latest of its ``modified`` and the ``date_added`` the store stamped on the nodes it
    speaks for (a relationship: either end). Objects that speak for no node (markings, extension definitions,
    the producer, attack patterns) count as added with the first thing the graph learned."""
    with stix_build.without_cycle_collection():
        b = _build(records, tlp=tlp, clearance=clearance, salt=salt)
        bundle = stix2.Bundle(objects=list(b.objects.values()), id=_bundle_id(b.objects, tlp, clearance),
                              allow_custom=True)
    known = [v for v in b.learned.values() if v is not None]
    floor = min(known) if known else None
    added: dict[str, str] = {}
    for oid, obj in b.objects.items():
        modified = obj.get("modified") or obj.get("created")
        learned = b.learned.get(oid)
        stamp = _latest(modified, learned if learned is not None else floor) or _naive(modified)
        added[oid] = _ts(stamp) or EPOCH
    return bundle, added


def _build(records: ScopeRecords, *, tlp: Level, clearance: Clearance, salt: str,
           full_checks: bool = False) -> _Builder:
    if rank(tlp) > rank(clearance.ceiling):
        raise Forbidden(f"role {clearance.role} is not cleared for TLP:{tlp.upper()}")
    b = _Builder(tlp, clearance, salt, as_of(records), full_checks=full_checks)
    fixed: list[Any] = [*tlp_markings("red"), producer_identity(), *extension_definitions()]
    for obj in fixed:
        b.objects[obj.id] = obj
        b.levels[obj.id] = "clear"
    patterns = {name: b.add(stix2.AttackPattern, "clear", id=stix_id("attack-pattern", name),
                            name=name.replace("-", " "), description=text, created=EPOCH, modified=EPOCH)
                for name, text in ATTACK_PATTERNS.items()}
    locations = {loc["location_key"]: _location(b, loc) for loc in records.locations}
    for flow in records.flows:
        _flow(b, flow)
    placed = {k: v for k, v in locations.items() if v}  # once: rebuilt per dealer it made the bundle quadratic
    dealers = {d["dealer_key"]: _dealer(b, d, placed) for d in records.dealers}
    for dealer in records.dealers:
        for place in _places(dealer):  # the first keeps the id it had when a dealer had one place
            identity: Any = {"dealer-at": dealer["dealer_key"]} if place == dealer.get("location_key") else \
                {"dealer-at": [dealer["dealer_key"], place]}
            b.rel(dealers[dealer["dealer_key"]], "located-at", locations.get(place), identity, "clear")
    persons = {p["person_key"]: _person(b, p) for p in records.persons}
    networks: dict[str, str | None] = {}
    for net in records.networks:
        level = most_restrictive(LABEL_TLP["Network"], COMPUTED_TLP if net.get("score") is not None else "clear")
        networks[net["network_id"]] = b.add(
            stix2.ThreatActor, level, net.get("date_added"), id=stix_id("threat-actor", net["network_id"]),
            name=f"Trafficking network {net['network_id']}", threat_actor_types=["crime-syndicate"],
            description=f"Firearms trafficking network of {net.get('size') or 'unknown'} persons "
                        f"detected by {net.get('algorithm') or 'community detection'}",
            extensions=_ext("network", {k: net.get(k) for k in ("network_id", "size", "score", "algorithm",
                                                                 "resolution", "analysis_run_id")}))
    for person in records.persons:
        net_id = person.get("network_id")
        if net_id:
            b.rel(networks.get(net_id), "attributed-to", persons.get(person["person_key"]),
                  {"member": [net_id, person["person_key"]]}, "amber")
    scored_networks = {p.get("network_id") for p in records.persons  # one pass, not one per network
                       if p.get("straw_score") is not None or p.get("straw_indicators")}
    for net_id, ta in networks.items():
        if net_id in scored_networks:
            b.rel(ta, "uses", patterns["straw-purchasing"], {"uses": [net_id, "straw-purchasing"]}, "amber")
    firearms = {f["firearm_key"]: f for f in records.firearms}
    recovered_keys = {r["firearm_key"] for r in records.recoveries}
    for firearm in records.firearms:
        fid = _firearm(b, firearm)
        _firearm_indicator(b, firearm, fid, firearm["firearm_key"] in recovered_keys)
        for dealer_key in firearm["dealer_keys"]:
            b.rel(dealers.get(dealer_key), "sold", fid, {"sold": [dealer_key, firearm["firearm_key"]]}, "green")
        for person_key in firearm["purchaser_keys"]:
            b.rel(persons.get(person_key), "purchased", fid, {"purchased": [person_key, firearm["firearm_key"]]},
                  "green")
    agencies: dict[str, str | None] = {}
    for rec in records.recoveries:
        ori = rec.get("agency_ori")
        if ori and ori not in agencies:
            agencies[ori] = b.add(stix2.Identity, "clear", rec.get("date_added"),
                                  id=stix_id("identity", {"agency": ori}),
                                  name=rec.get("agency_name") or f"Agency {ori}", identity_class="organization",
                                  external_references=[{"source_name": "fbi-ori", "external_id": ori}])
        where = [w for w in (*(locations.get(p) for p in _places(rec)), agencies.get(ori or "")) if w]
        if not where:
            where = [stix_id("location", f"state:US-{rec['recovery_state']}")] if rec.get("recovery_state") else []
        _recovery(b, rec, firearms.get(rec["firearm_key"]), where)
    recovered: dict[str, list[Record]] = {}
    for rec in records.recoveries:
        recovered.setdefault(rec["firearm_key"], []).append(rec)
    for firearm in records.firearms:  # after the sightings, so the note can point at what MISP keeps
        key = firearm["firearm_key"]
        related = [d for d in (dealers.get(k) for k in firearm["dealer_keys"]) if d]
        for rec in recovered.get(key, []):
            related += [stix_id("sighting", rec["trace_id"]), *(locations.get(p) or "" for p in _places(rec))]
        _firearm_note(b, firearm, stix_id("firearm", key) if stix_id("firearm", key) in b.objects else None,
                      related)
    _report(b, records)
    used = {ref for obj in b.objects.values() for ref in obj.get("object_marking_refs", [])}
    for unused in [i for i in b.objects if i.startswith("marking-definition--") and i not in used]:
        del b.objects[unused]  # carry only the TLP definitions the bundle uses (MISP tags every one it sees)
    if tlp == "clear":  # public means aggregate (exports/public.py): a guard, never expected to fire
        problems = bundle_problems(b.objects.values())
        if problems:
            raise Forbidden(f"a TLP:CLEAR bundle carries aggregate statistics only, but {problems[0]} "
                            f"({len(problems)} problems)")
    return b


def _report(b: _Builder, records: ScopeRecords) -> None:
    if not records.analysis_runs:
        return
    run = records.analysis_runs[0]
    refs = sorted(i for i in b.objects if not i.startswith(("marking-definition--", "extension-definition--")))
    stamp = _ts(run.get("finished_at") or run.get("started_at")) or b.stamp
    # marked at the bundle's level: MISP and OpenCTI take the event's TLP from the report
    marking = most_restrictive(LABEL_TLP["AnalysisRun"], b.ceiling)
    b.add(stix2.Report, marking, _latest(*b.learned.values()), id=stix_id("report", run["run_id"]),
          name=f"tracegraph analysis run {run['run_id']}", report_types=["threat-actor", "attack-pattern"],
          published=stamp, created=_ts(run.get("started_at")) or stamp, modified=stamp, object_refs=refs,
          description=f"Firearms trafficking analysis (code {run.get('code_version') or 'unknown'}).")


def _bundle_id(objects: dict[str, Any], tlp: Level, clearance: Clearance) -> str:
    return stix_id("bundle", {"objects": sorted(objects), "tlp": tlp, "role": clearance.role})


def bundle_dict(bundle: stix2.Bundle) -> dict[str, Any]:
    """``json.loads(bundle.serialize())``, without writing and reading the text (exports/stix_build.py)."""
    with stix_build.without_cycle_collection():
        return stix_build.plain(bundle)


def objects_of(bundle: stix2.Bundle) -> Iterable[dict[str, Any]]:
    return bundle_dict(bundle)["objects"]
