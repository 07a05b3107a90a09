"""The full chain of one firearm: dealer -> purchaser(s) -> recoveries -> possessors, and NIBIN links.

Runs the named statement ``cypher/firearm_chain.cypher`` (portable between Kùzu and Neo4j) and returns a typed
result. A gun can have several purchases (a trace and a multiple-sale report of the same sale, or resales that
were traced) and several recoveries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from algorithms.paths import EntityRef, parse_reference
from graph.errors import InvalidInput, NotFound
from graph.store import GraphStore


@dataclass(frozen=True)
class Sale:
    dealer_key: str
    license_number: str | None
    business_name: str | None
    premise_city: str | None
    premise_state: str | None
    sale_date: dt.date | None


@dataclass(frozen=True)
class Purchase:
    person_key: str
    last_name: str | None
    first_name: str | None
    dob: dt.date | None
    sale_id: str | None
    purchase_date: dt.date | None
    dealer_key: str | None
    multiple_sale: bool | None
    report_id: str | None
    source: str | None


@dataclass(frozen=True)
class Possessor:
    person_key: str
    last_name: str | None
    first_name: str | None
    dob: dt.date | None


@dataclass(frozen=True)
class ChainRecovery:
    trace_id: str
    recovery_date: dt.date | None
    recovery_city: str | None
    recovery_state: str | None
    crime_code: str | None
    time_to_crime_days: int | None
    possessors: tuple[Possessor, ...]
    reported_stolen: bool | None = None   # the gun was named by a lost/stolen report (earliest: stolen_report_id)
    stolen_report_id: str | None = None


@dataclass(frozen=True)
class NibinLink:
    lead_id: str
    trace_id: str
    linked_trace_id: str
    lead_date: dt.date | None
    status: str | None


@dataclass(frozen=True)
class FirearmChain:
    firearm_key: str
    serial_number: str | None
    manufacturer: str | None
    model: str | None
    caliber: str | None
    weapon_type: str | None
    obliterated: bool | None
    sales: tuple[Sale, ...]
    purchases: tuple[Purchase, ...]
    recoveries: tuple[ChainRecovery, ...]
    nibin_links: tuple[NibinLink, ...]


def _present(items: list[dict[str, Any]] | None, key: str) -> list[dict[str, Any]]:
    """Entries of a collected list that stand for a real match (OPTIONAL MATCH misses give all-null maps)."""
    return [item for item in items or [] if item.get(key) is not None]


def firearm_key(firearm: str | EntityRef) -> str:
    """The key of a firearm reference (``firearm:KEY`` or a bare firearm key)."""
    if isinstance(firearm, str):
        ref = parse_reference(firearm) if ":" in firearm else EntityRef("Firearm", firearm.strip())
    else:
        ref = firearm
    if ref.label != "Firearm" or not ref.key:
        raise InvalidInput("a firearm chain needs a firearm reference, e.g. firearm:KEY")
    return ref.key


def firearm_chain(store: GraphStore, firearm: str | EntityRef) -> FirearmChain:
    """The chain of one firearm (``firearm:KEY`` or a bare firearm key) read with ``cypher/firearm_chain.cypher``;
    NotFound if the store lacks it."""
    rows = store.query("firearm_chain", {"firearm_key": firearm_key(firearm)}).rows()
    if not rows:
        raise NotFound("no Firearm with that key")
    return chain_from_row(rows[0])


def chain_from_row(row: dict[str, Any]) -> FirearmChain:
    """Fold the one row ``cypher/firearm_chain.cypher`` returns (or the API snapshot assembles) into the chain.

    Lists are in a stable order: sales and purchases by date, recoveries by recovery date, links by lead id.
    """

    sales = sorted((Sale(**s) for s in {s["dealer_key"]: s for s in _present(row["sales"], "dealer_key")}.values()),
                   key=lambda s: (s.sale_date is None, s.sale_date or dt.date.min, s.dealer_key))
    purchases = sorted(
        (Purchase(**p) for p in {(p["person_key"], p["sale_id"]): p
                                 for p in _present(row["purchases"], "person_key")}.values()),
        key=lambda p: (p.purchase_date is None, p.purchase_date or dt.date.min, p.sale_id or "", p.person_key))
    recoveries: dict[str, dict[str, Any]] = {}
    possessors: dict[str, dict[str, Possessor]] = {}
    for item in _present(row["recoveries"], "trace_id"):
        recoveries.setdefault(item["trace_id"], item)
        if item.get("possessor_key") is not None:
            possessors.setdefault(item["trace_id"], {})[item["possessor_key"]] = Possessor(
                item["possessor_key"], item["possessor_last_name"], item["possessor_first_name"],
                item["possessor_dob"])
    chain_recoveries = sorted(
        (ChainRecovery(trace_id=trace_id, recovery_date=item["recovery_date"], recovery_city=item["recovery_city"],
                       recovery_state=item["recovery_state"], crime_code=item["crime_code"],
                       time_to_crime_days=item["time_to_crime_days"],
                       reported_stolen=item.get("reported_stolen"), stolen_report_id=item.get("stolen_report_id"),
                       possessors=tuple(sorted(possessors.get(trace_id, {}).values(), key=lambda x: x.person_key)))
         for trace_id, item in recoveries.items()),
        key=lambda r: (r.recovery_date is None, r.recovery_date or dt.date.min, r.trace_id))
    links: dict[str, NibinLink] = {}
    for item in _present(row["nibin_links"], "lead_id"):
        links.setdefault(item["lead_id"], NibinLink(item["lead_id"], item["trace_id"], item["linked_trace_id"],
                                                    item["lead_date"], item["status"]))
    return FirearmChain(
        firearm_key=row["firearm_key"], serial_number=row["serial_number"], manufacturer=row["manufacturer"],
        model=row["model"], caliber=row["caliber"], weapon_type=row["weapon_type"], obliterated=row["obliterated"],
        sales=tuple(sales), purchases=tuple(purchases), recoveries=tuple(chain_recoveries),
        nibin_links=tuple(links[k] for k in sorted(links)),
    )
