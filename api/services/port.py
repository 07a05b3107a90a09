"""The one port the service layer reads through, and its two implementations.

Every shared question (straw queue, dealer anomalies, networks, corridors, ...) is answered by one function in
``api/services/`` that reads only through :class:`ReadPort`; the CLI gives it a :class:`StorePort` (named Cypher
statements on the open store), ``tracegraph serve`` a :class:`SnapshotPort` (the in-memory snapshot the API
answers from). The ports only fetch rows: ordering, ranks, filters and paging live in the services
(:mod:`api.services.ranking`, :mod:`algorithms.corridor_query`), so both surfaces give the same answer.

Network membership is read from ``MEMBER_OF`` on both ports (the one fact; ``Person.network_id`` is not read).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol

import pandas as pd

from api.services.ranking import Ranked, rank

if TYPE_CHECKING:
    from algorithms.dealer_profile import ProfileTables
    from algorithms.paths import PathIndex
    from api.services.snapshot import Snapshot
    from graph.store import GraphStore

#: The ranked lists: which label they list, their key and score, and the columns their filters compare.
ListName = Literal["straw", "anomalies", "networks"]
LISTS: dict[str, tuple[str, str, str, dict[str, str]]] = {
    "straw": ("Person", "person_key", "straw_score", {"state": "state", "network_id": "network_id"}),
    "anomalies": ("Dealer", "dealer_key", "anomaly_score", {"state": "premise_state"}),
    "networks": ("Network", "network_id", "score", {"reviewable": "reviewable"}),
}
_STATEMENTS = {"straw": "list_straw", "anomalies": "list_dealer_anomalies", "networks": "list_networks"}


class ReadPort(Protocol):
    """What the services read. ``ranked``: the list in its one order (:func:`api.services.ranking.rank`);
    ``details``: the listed entities' properties (schema names), in the order of ``keys``; ``flows``: FLOW rows
    as :func:`algorithms.corridor_query.select_corridors` takes them."""

    def ranked(self, name: ListName) -> Ranked: ...

    def details(self, name: ListName, keys: Sequence[str]) -> list[dict[str, Any]]: ...

    def flows(self, level: str | None) -> pd.DataFrame: ...

    def path_index(self) -> PathIndex: ...

    def dealer(self, reference: str) -> tuple[str, dict[str, Any]] | None:
        """The dealer a reference names (full FFL number, REGN-DIST-SEQN or dealer key) and its properties."""

    def dealer_estimates(self, hotspot_rule: str | None) -> dict[str, dict[str, Any]]:
        """Per dealer key, the estimated part of the transparency profile (computed over every dealer)."""

    def inspections(self, dealer_key: str) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
        """The dealer's inspections, each with the violations cited."""

    def chain_row(self, firearm_key: str) -> dict[str, Any] | None:
        """The row ``cypher/firearm_chain.cypher`` returns for one firearm (None: no such firearm)."""

    def persons_named(self, last_name: str) -> list[dict[str, Any]]:
        """Persons whose last name, upper case, is ``last_name`` (person_key, last_name, first_name, state)."""

    def firearms_with_serial(self, serial: str) -> list[dict[str, Any]]:
        """Firearms whose normalised serial is ``serial`` (firearm_key, manufacturer, model, caliber)."""

    def reviews(self, person_key: str | None = None) -> list[dict[str, Any]]:
        """Straw-queue review decisions (``cypher/reviews_*.cypher`` columns), of one person or all, any order."""


def estimates_of(tables: ProfileTables) -> dict[str, dict[str, Any]]:
    """:func:`algorithms.dealer_profile.estimate_table` as dicts by dealer key, with the hotspot rule in words."""
    from algorithms.dealer_profile import estimate_table, json_safe

    table = estimate_table(tables)
    return {str(key): {**row, "hotspot_rule": tables.hotspot_rule}
            for key, row in zip(table.index, json_safe(table.to_dict("records")), strict=True)}


def _ranked_rows(name: str, rows: list[dict[str, Any]]) -> Ranked:
    _, key, score, filters = LISTS[name]
    return rank([r[key] for r in rows], [r[score] for r in rows],
                {f: [r.get(column) for r in rows] for f, column in filters.items()})


class StorePort:
    """Named Cypher statements on an open store (the CLI). Each list is read once per port."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self._rows: dict[str, dict[str, dict[str, Any]]] = {}
        self._ranked: dict[str, Ranked] = {}
        self._tables: dict[str | None, ProfileTables] = {}
        self._estimates: dict[str | None, dict[str, dict[str, Any]]] = {}

    def _load(self, name: ListName) -> dict[str, dict[str, Any]]:
        if name not in self._rows:
            key = LISTS[name][1]
            rows = self.store.query(_STATEMENTS[name]).rows()
            self._rows[name] = {str(r[key]): r for r in rows}
            self._ranked[name] = _ranked_rows(name, rows)
        return self._rows[name]

    def ranked(self, name: ListName) -> Ranked:
        self._load(name)
        return self._ranked[name]

    def details(self, name: ListName, keys: Sequence[str]) -> list[dict[str, Any]]:
        rows = self._load(name)
        return [dict(rows[k]) for k in keys if k in rows]

    def flows(self, level: str | None) -> pd.DataFrame:
        from algorithms.corridor_query import store_flows

        return store_flows(self.store, level)

    def path_index(self) -> PathIndex:
        from algorithms.paths import path_index, path_projection

        return path_index(path_projection(self.store))

    def _profile_tables(self, hotspot_rule: str | None) -> ProfileTables:
        from algorithms.dealer_profile import tables_from_store
        from algorithms.hotspots import parse_rule

        cached = self._tables.get(hotspot_rule)
        if cached is None:
            cached = self._tables[hotspot_rule] = tables_from_store(self.store, parse_rule(hotspot_rule))
        return cached

    def dealer(self, reference: str) -> tuple[str, dict[str, Any]] | None:
        from algorithms.dealer_profile import json_safe
        from algorithms.paths import parse_reference

        dealers = self._profile_tables(None).dealers
        wanted = reference.strip().upper()
        hit = dealers[dealers["license_number"].astype(str) == wanted]
        if hit.empty:
            hit = dealers[dealers["dealer_key"].astype(str) == parse_reference(f"dealer:{reference}").key]
        if hit.empty:
            return None
        row: dict[str, Any] = json_safe(hit.iloc[0].to_dict())
        return str(row["dealer_key"]), row

    def dealer_estimates(self, hotspot_rule: str | None) -> dict[str, dict[str, Any]]:
        if hotspot_rule not in self._estimates:
            self._estimates[hotspot_rule] = estimates_of(self._profile_tables(hotspot_rule))
        return self._estimates[hotspot_rule]

    def inspections(self, dealer_key: str) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
        from algorithms.dealer_profile import json_safe

        tables = self._profile_tables(None)
        mine = tables.inspections[tables.inspections["dealer_key"].astype(str) == dealer_key]
        cited_by = tables.violations["inspection_id"].astype(str)
        return [(inspection, json_safe(tables.violations[cited_by == str(inspection["inspection_id"])]
                                       .to_dict("records")))
                for inspection in json_safe(mine.to_dict("records"))]


    def chain_row(self, firearm_key: str) -> dict[str, Any] | None:
        rows = self.store.query("firearm_chain", {"firearm_key": firearm_key}).rows()
        return rows[0] if rows else None

    def persons_named(self, last_name: str) -> list[dict[str, Any]]:
        return self.store.query("search_persons", {"last": last_name}).rows()

    def firearms_with_serial(self, serial: str) -> list[dict[str, Any]]:
        return self.store.query("search_firearms", {"serial": serial}).rows()

    def reviews(self, person_key: str | None = None) -> list[dict[str, Any]]:
        if person_key is None:
            return self.store.query("reviews_all").rows()
        return self.store.query("reviews_of_person", {"person_key": person_key}).rows()


class SnapshotPort:
    """The in-memory snapshot ``tracegraph serve`` answers from (lists ranked once, when it is built)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

    def ranked(self, name: ListName) -> Ranked:
        ranked: Ranked = getattr(self.snapshot, name)
        return ranked

    def details(self, name: ListName, keys: Sequence[str]) -> list[dict[str, Any]]:
        return self.snapshot.nodes[LISTS[name][0]].many(list(keys))  # persons' network_id is MEMBER_OF's

    def flows(self, level: str | None) -> pd.DataFrame:
        locations = self.snapshot.nodes["Location"]
        rows = self.snapshot.flows.to_pylist()
        if level:
            rows = [row for row in rows if row.get("level") == level]
        for row in rows:
            for side in ("src", "dst"):
                place = locations.get(row[side]) or {}
                row[f"{side}_name"], row[f"{side}_state"] = place.get("name"), place.get("state")
                row[f"{side}_lat"], row[f"{side}_lon"] = place.get("lat"), place.get("lon")
        return pd.DataFrame(rows)

    def path_index(self) -> PathIndex:
        return self.snapshot.paths

    def dealer(self, reference: str) -> tuple[str, dict[str, Any]] | None:
        from algorithms.paths import parse_reference

        snapshot = self.snapshot
        key = snapshot.licenses.get(reference.strip().upper()) or parse_reference(f"dealer:{reference}").key
        row = snapshot.nodes["Dealer"].get(key)
        return None if row is None else (key, row)

    def dealer_estimates(self, hotspot_rule: str | None) -> dict[str, dict[str, Any]]:
        """Computed once per snapshot and rule, kept on the snapshot (dropped with it when it is rebuilt)."""
        from algorithms.dealer_profile import ProfileTables, hotspots
        from algorithms.hotspots import parse_rule

        snapshot = self.snapshot
        with snapshot.derived_lock:
            key = f"dealer_estimates:{hotspot_rule}"
            if key not in snapshot.derived:
                locations = snapshot.nodes["Location"].table.to_pandas()
                chosen, rule = hotspots(locations, parse_rule(hotspot_rule))
                tables = ProfileTables(snapshot.nodes["Dealer"].table.to_pandas(), pd.DataFrame(), pd.DataFrame(),
                                       chosen, rule)
                snapshot.derived[key] = estimates_of(tables)
            found: dict[str, dict[str, Any]] = snapshot.derived[key]
            return found

    def chain_row(self, firearm_key: str) -> dict[str, Any] | None:
        from api.services.chain_view import chain_row

        return chain_row(self.snapshot, firearm_key)

    def persons_named(self, last_name: str) -> list[dict[str, Any]]:
        return self.snapshot.nodes["Person"].take(self.snapshot.last_names.get(last_name, []))

    def firearms_with_serial(self, serial: str) -> list[dict[str, Any]]:
        return self.snapshot.nodes["Firearm"].take(self.snapshot.serials.get(serial, []))

    def reviews(self, person_key: str | None = None) -> list[dict[str, Any]]:
        held = self.snapshot.reviews
        if person_key is None:
            return [row for rows in held.values() for row in rows]
        return list(held.get(person_key, []))

    def inspections(self, dealer_key: str) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
        snapshot = self.snapshot
        return [(inspection, snapshot.nodes["Violation"].many(snapshot.violations_of.get(inspection["inspection_id"],
                                                                                          [])))
                for inspection in snapshot.nodes["Inspection"].many(snapshot.inspections_of.get(dealer_key, []))]


def snapshot_ranked(snapshot_nodes: dict[str, Any]) -> dict[str, Ranked]:
    """The three lists of a snapshot being built, ranked by the same function as :class:`StorePort`'s."""
    out: dict[str, Ranked] = {}
    for name, (label, key, score, filters) in LISTS.items():
        table = snapshot_nodes[label].table
        keys = table.column(key).to_pylist()
        columns = {f: table.column(column).to_pylist() for f, column in filters.items()}
        out[name] = rank(keys, table.column(score).to_pylist(), columns)
    return out
