"""Reading what a STIX export (or GeoJSON) covers out of the store, and restricting it to a scope.

``collect_scope(store, scope)`` runs the named ``cypher/stix_*`` statements and returns plain records
(:class:`ScopeRecords`); everything after that is pure. Scopes: ``all``, ``network:ID``, ``state:XX``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from algorithms.straw_rank import straw_ranks, with_ranks
from graph.errors import InvalidInput
from graph.store import GraphStore

Record = dict[str, Any]


@dataclass(frozen=True)
class ScopeRecords:
    networks: list[Record] = field(default_factory=list)
    persons: list[Record] = field(default_factory=list)
    firearms: list[Record] = field(default_factory=list)      # folded: dealer_keys, purchaser_keys lists
    recoveries: list[Record] = field(default_factory=list)
    dealers: list[Record] = field(default_factory=list)
    locations: list[Record] = field(default_factory=list)
    flows: list[Record] = field(default_factory=list)
    analysis_runs: list[Record] = field(default_factory=list)


def parse_scope(scope: str) -> tuple[str, str | None]:
    kind, _, value = scope.partition(":")
    if kind == "all" and not value:
        return "all", None
    if kind in ("network", "state") and value.strip():
        return kind, value.strip()
    raise InvalidInput(f"unknown scope {scope!r}: use all, network:ID or state:XX")


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None) if value.tzinfo else value
    return value


def _rows(store: GraphStore, name: str) -> list[Record]:
    return [{k: _plain(v) for k, v in row.items()} for row in store.query(name).rows()]


def fold_firearms(rows: list[Record]) -> list[Record]:
    folded: dict[str, Record] = {}
    for row in rows:
        key = row["firearm_key"]
        entry = folded.setdefault(key, {**{k: v for k, v in row.items()
                                           if k not in ("dealer_key", "sale_date", "purchaser_key")},
                                        "dealer_keys": [], "purchaser_keys": [], "sale_date": None})
        if row.get("dealer_key") and row["dealer_key"] not in entry["dealer_keys"]:
            entry["dealer_keys"].append(row["dealer_key"])
            entry["sale_date"] = entry["sale_date"] or row.get("sale_date")
        if row.get("purchaser_key") and row["purchaser_key"] not in entry["purchaser_keys"]:
            entry["purchaser_keys"].append(row["purchaser_key"])
    return list(folded.values())


_PRECISION = ("address:", "zip:", "city:", "county:", "state:", "country:")


def _precision(location_key: str) -> int:
    return next((i for i, prefix in enumerate(_PRECISION) if location_key.startswith(prefix)), len(_PRECISION))


def fold_places(rows: list[Record], key: str) -> list[Record]:
    """One record per ``key``: the statements return one row per place the entity is ``AT`` (a dealer is at its
    city and its ZIP). ``location_keys`` lists them most precise first; ``location_key`` is the most precise."""
    folded: dict[Any, Record] = {}
    for row in rows:
        entry = folded.setdefault(row[key], {**row, "location_keys": []})
        place = row.get("location_key")
        if place and place not in entry["location_keys"]:
            entry["location_keys"].append(place)
    for entry in folded.values():
        entry["location_keys"].sort(key=lambda k: (_precision(k), k))
        entry["location_key"] = entry["location_keys"][0] if entry["location_keys"] else None
    return list(folded.values())


def places_of(entities: list[Record]) -> set[str]:
    return {k for e in entities for k in e.get("location_keys") or [e.get("location_key")] if k}


def collect_scope(store: GraphStore, scope: str = "all") -> ScopeRecords:
    """Everything an export of ``scope`` may contain (before TLP and role filtering)."""
    parse_scope(scope)
    # one membership per person; the queue rank derived from every score (never stored)
    persons = {r["person_key"]: r for r in with_ranks(_rows(store, "stix_persons"), straw_ranks(store))}
    records = ScopeRecords(
        networks=_rows(store, "stix_networks"), persons=list(persons.values()),
        firearms=fold_firearms(_rows(store, "stix_firearms")),
        recoveries=fold_places(_rows(store, "stix_recoveries"), "trace_id"),
        dealers=fold_places(_rows(store, "stix_dealers"), "dealer_key"), locations=_rows(store, "stix_locations"),
        flows=corridor_flows(_rows(store, "stix_flows")), analysis_runs=_rows(store, "stix_analysis_runs"))
    return restrict(records, scope)


def corridor_flows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The FLOW rows that are corridors, by the rule every surface uses
    (:func:`algorithms.corridor_query.exportable`): guns counted, not in-state, the official ATF table for the
    cells it covers (a second table's row for the same cell stays in the store, not in exports)."""
    from algorithms.corridor_query import exportable

    if not rows:
        return rows
    kept = exportable([{**r, "src": r["source_key"], "dst": r["destination_key"]} for r in rows])
    wanted = set(zip(kept["src"], kept["dst"], kept["year"], kept["basis"], strict=True))
    return [r for r in rows if (r["source_key"], r["destination_key"], r.get("year"), r.get("basis") or "traces")
            in wanted]


def _state_matches(value: Any, state: str) -> bool:
    text = str(value or "").upper()
    return text in (state, f"US-{state}")


def restrict(records: ScopeRecords, scope: str) -> ScopeRecords:
    """Pure: keep what belongs to a network or a state, and what those things refer to."""
    kind, value = parse_scope(scope)
    if kind == "all" or value is None:
        return records
    if kind == "network":
        if not any(n["network_id"] == value for n in records.networks):
            raise InvalidInput(f"no network {value!r} in the store")
        persons = [p for p in records.persons if p.get("network_id") == value]
        person_keys = {p["person_key"] for p in persons}
        firearms = [f for f in records.firearms if person_keys & set(f["purchaser_keys"])]
        networks = [n for n in records.networks if n["network_id"] == value]
        recoveries_all = records.recoveries
        firearm_keys = {f["firearm_key"] for f in firearms}
        recoveries = [r for r in recoveries_all if r["firearm_key"] in firearm_keys]
        dealer_keys = {d for f in firearms for d in f["dealer_keys"]}
        dealers = [d for d in records.dealers if d["dealer_key"] in dealer_keys]
    else:
        state = value.upper()
        dealers = [d for d in records.dealers if _state_matches(d.get("premise_state"), state)]
        recoveries = [r for r in records.recoveries if _state_matches(r.get("recovery_state"), state)]
        dealer_keys = {d["dealer_key"] for d in dealers}
        firearm_keys = {r["firearm_key"] for r in recoveries}
        firearms = [f for f in records.firearms
                    if f["firearm_key"] in firearm_keys or dealer_keys & set(f["dealer_keys"])]
        purchaser_keys = {p for f in firearms for p in f["purchaser_keys"]}
        persons = [p for p in records.persons if p["person_key"] in purchaser_keys]
        network_ids = {p.get("network_id") for p in persons}
        networks = [n for n in records.networks if n["network_id"] in network_ids]
    location_keys = places_of(recoveries) | places_of(dealers)
    if kind == "state" and value:
        location_keys |= {loc["location_key"] for loc in records.locations
                          if _state_matches(loc.get("state"), value.upper())}
    flows = [f for f in records.flows if f["source_key"] in location_keys or f["destination_key"] in location_keys]
    location_keys |= {f["source_key"] for f in flows} | {f["destination_key"] for f in flows}
    locations = [loc for loc in records.locations if loc["location_key"] in location_keys]
    return replace(records, networks=networks, persons=persons, firearms=firearms, recoveries=recoveries,
                   dealers=dealers, locations=locations, flows=flows)
