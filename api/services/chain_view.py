"""A firearm's trace chain read from the API snapshot instead of the store.

:func:`algorithms.chain.firearm_chain` runs ``cypher/firearm_chain.cypher`` and folds its one row into a
:class:`~algorithms.chain.FirearmChain`. Per request that statement costs a Kùzu scan under the store lock
(seconds at 50 concurrent clients), so the API assembles the same row from the snapshot's relationship indexes
(:class:`api.services.snapshot.ChainIndex`) and hands it to ``firearm_chain`` through a one-statement source:
the folding, de-duplication and ordering stay in one place.
"""

from __future__ import annotations

from typing import Any, cast

from algorithms.chain import FirearmChain, firearm_chain
from algorithms.paths import EntityRef
from api.services.snapshot import Snapshot
from graph.store import GraphStore

_FIREARM = ("serial_number", "manufacturer", "model", "caliber", "weapon_type", "obliterated")
_DEALER = ("license_number", "business_name", "premise_city", "premise_state")
_PURCHASE = ("sale_id", "purchase_date", "dealer_key", "multiple_sale", "report_id", "source")
_RECOVERY = ("recovery_date", "recovery_city", "recovery_state", "crime_code", "time_to_crime_days",
             "reported_stolen", "stolen_report_id")


class _Rows:
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self._rows = rows

    def rows(self) -> list[dict[str, Any]]:
        return self._rows


class _SnapshotChainSource:
    """Answers the ``firearm_chain`` statement (and only it) from the snapshot."""

    backend = "snapshot"

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

    def query(self, name: str, params: dict[str, Any] | None = None) -> _Rows:
        if name != "firearm_chain" or not params:
            raise NotImplementedError(name)
        row = chain_row(self.snapshot, str(params["firearm_key"]))
        return _Rows([row] if row is not None else [])


def chain_row(snapshot: Snapshot, key: str) -> dict[str, Any] | None:
    """The row ``cypher/firearm_chain.cypher`` returns for one firearm, or None if there is no such firearm."""
    firearm = snapshot.nodes["Firearm"].get(key)
    if firearm is None:
        return None
    chains = snapshot.chains
    dealers, persons = snapshot.nodes["Dealer"], snapshot.nodes["Person"]
    sales = []
    for sold in chains.sold.rows(key):
        dealer = dealers.get(sold["src"]) or {}
        sales.append({"dealer_key": sold["src"], "sale_date": sold.get("sale_date"),
                      **{p: dealer.get(p) for p in _DEALER}})
    purchases = []
    for bought in chains.purchased.rows(key):
        person = persons.get(bought["src"]) or {}
        purchases.append({"person_key": bought["src"], "last_name": person.get("last_name"),
                          "first_name": person.get("first_name"), "dob": person.get("dob"),
                          **{p: bought.get(p) for p in _PURCHASE}})
    recoveries, links = [], []
    for found in chains.recovered.rows(key):
        trace_id = found["dst"]
        recovery = snapshot.nodes["Recovery"].get(trace_id) or {}
        base = {"trace_id": trace_id, **{p: recovery.get(p) for p in _RECOVERY}}
        possessors = chains.possessed.rows(trace_id) or [{"dst": None}]
        for held in possessors:
            holder = (persons.get(held["dst"]) if held["dst"] is not None else None) or {}
            recoveries.append({**base, "possessor_key": held["dst"], "possessor_last_name": holder.get("last_name"),
                               "possessor_first_name": holder.get("first_name"),
                               "possessor_dob": holder.get("dob")})
        for link, other in [(lk, lk["dst"]) for lk in chains.nibin_from.rows(trace_id)] + \
                [(lk, lk["src"]) for lk in chains.nibin_to.rows(trace_id)]:
            links.append({"trace_id": trace_id, "linked_trace_id": other, "lead_id": link.get("lead_id"),
                          "lead_date": link.get("lead_date"), "status": link.get("status")})
    return {"firearm_key": key, **{p: firearm.get(p) for p in _FIREARM}, "sales": sales,
            "purchases": purchases, "recoveries": recoveries, "nibin_links": links}


def snapshot_chain(snapshot: Snapshot, firearm_key: str) -> FirearmChain:
    """The firearm's chain as :func:`algorithms.chain.firearm_chain` builds it, read from the snapshot."""
    return firearm_chain(cast(GraphStore, _SnapshotChainSource(snapshot)), EntityRef("Firearm", firearm_key))
