"""The row of a firearm's trace chain read from the API snapshot instead of the store.

The store port runs ``cypher/firearm_chain.cypher``; per request that statement costs a scan under the store lock
(seconds at 50 concurrent clients), so the snapshot port assembles the same row from the snapshot's relationship
indexes (:class:`api.services.snapshot.ChainIndex`). Both rows go through :func:`algorithms.chain.chain_from_row`
(:mod:`api.services.firearm_chain`): the folding, de-duplication and ordering stay in one place.
"""

from __future__ import annotations

from typing import Any

from api.services.snapshot import Snapshot

_FIREARM = ("serial_number", "manufacturer", "model", "caliber", "weapon_type", "obliterated")
_DEALER = ("license_number", "business_name", "premise_city", "premise_state")
_PURCHASE = ("sale_id", "purchase_date", "dealer_key", "multiple_sale", "report_id", "source")
_RECOVERY = ("recovery_date", "recovery_city", "recovery_state", "crime_code", "time_to_crime_days",
             "reported_stolen", "stolen_report_id")


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
