"""The straw neighbourhood's lookup keys (``StrawKey``, issue 21), written where the facts are loaded.

An incremental analysis finds the candidates of a straw group (a superset of its members,
:mod:`algorithms.straw_neighbourhood`) by the group's own key. Without these keys that meant walking every sale of a
dealer for one of its days or its multiple-sale buyers, and every recovery in a city for the quick ones: a cost that
grows with the history, not the batch. Each key is a ``StrawKey`` node with the guns, recoveries or dealers under it
(``IN_STRAW_KEY``):

* ``jp|<dealer>|<day>`` <- every gun with a purchase record or sale by the dealer and a purchase record or sale on
  the day (every dealer of the gun crossed with every day of it: a purchase event takes its dealer and its date from
  any of its records or the gun's sale, :func:`algorithms.straw_features.purchase_events`);
* ``sc|<dealer>`` <- every gun of the dealer (as above) with a multiple-sale record naming a report;
* ``sl|<dealer>|<city>`` <- every recovery in the city (its ``Location``) made within :data:`QUICK_DAYS` of the
  purchase, under each dealer of its gun (``?`` for a gun without one);
* ``ql|<city>`` <- every dealer with such a recovery there (a city's or a corridor's group reads its dealers first).

The candidates are the purchasers of the guns under the key (for a city: of the recovered guns), read live, so who
bought a gun is never copied here. The keys are a superset: a key names a gun for any of its records, and an entry is
never removed, so a record loaded again with other facts leaves its old keys behind (they name one candidate too
many, which the neighbourhood reads and finds outside the group) while the load writes the new ones. A retention
purge changes none of a gun's dealers, days, reports or recoveries: it deletes persons (their purchase records go
with them) and moves purchase records to stand-ins unchanged, so every key stays a superset. The keys of a gun are
computed from everything stored for it after each load (:func:`index_firearms`, called by the trace and
multiple-sale loaders for the guns they wrote), so a later load adding a dealer, a day or a report to a gun keys it
again.

A store holding guns that were loaded before the keys existed is keyed whole by ``tracegraph init``'s migration
(:func:`index_all`, beside the identity blocks' backfill), which then writes the mark ``*|<QUICK_DAYS>``
(:mod:`loaders.domain.straw_keys`); an empty store is marked by its first load. An incremental analysis reads by
these keys only on a marked store, and scans as before otherwise. On a marked store the migration and the full
analysis key the purchased guns under no key at all (:func:`index_unkeyed`: a load that met the engine's fault
:func:`index_firearms` describes, before it was mended, left such guns).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from graph.store import GraphStore
from loaders import entities
from loaders.domain.straw_keys import MARK, QUICK_DAYS, entries, marked


def mark_if_empty(store: GraphStore) -> bool:
    """Before a load: mark a store without purchase records (every gun it will hold is keyed as it is loaded).
    Returns whether the store is marked."""
    return entities.mark_if_empty(store, marked(store), "purchases_any", "StrawKey", {"straw_key": MARK})


def _query(store: GraphStore, name: str, keys: list[str], **params: object) -> pd.DataFrame:
    return store.query(name, {"keys": keys, **params}).df() if keys else pd.DataFrame()


def index_firearms(store: GraphStore, firearms: list[str] | pd.Series, purchased: Iterable[str] = (),
                   sold: Iterable[str] = ()) -> int:
    """Key the guns ``firearms`` (written just now) from everything the store holds for them; returns the entries
    written (new or not). ``purchased``, ``sold``: the guns the caller's batch wrote a purchase record or a sale for.

    The reads are OPTIONAL MATCHes by key (an index lookup a gun). Inside a load's transaction LadybugDB 0.22's
    OPTIONAL MATCH returns none of the rows that transaction wrote for the guns it added to the end of a node group
    (131,072 rows) past its first 2,048 new ones; that left 1,258 guns of the national history unkeyed
    (docs/performance.md, keys23). When a gun of ``purchased`` or ``sold`` is missing from what was read, the guns
    are read again by MATCHes, which see those rows (scans: ~3 CPU s at national scale, so only then)."""
    keys = sorted({k for k in firearms if isinstance(k, str)})
    if not keys:
        return 0
    records = _query(store, "straw_key_purchases", keys)
    bought = sorted(set(records["firearm_key"])) if len(records) else []
    sales = _query(store, "straw_sold", bought)
    missed = (set(purchased) - set(bought)) | ((set(sold) & set(bought)) - set(sales.get("dst", ())))
    scan = "_scan" if missed else ""
    if missed:
        records = _query(store, "straw_key_purchases_scan", keys)
        bought = sorted(set(records["firearm_key"])) if len(records) else []
        sales = _query(store, "straw_key_sold_scan", bought)
    if records.empty:
        return 0
    quick = _query(store, f"straw_key_recoveries{scan}", bought, quick_days=QUICK_DAYS)
    found = entries(records, sales.reindex(columns=["src", "dst", "sale_date"]),
                    quick.reindex(columns=["firearm_key", "trace_id", "location_key"]))
    every = pd.concat([rows["to_key"] for rows in found.values()], ignore_index=True).drop_duplicates()
    if every.empty:
        return 0
    # a key created just now has nothing under it yet: its rows are written without a lookup
    created = store.upsert_nodes("StrawKey", pd.DataFrame({"straw_key": every})).created_keys
    for label, rows in found.items():
        if len(rows):
            store.upsert_relationships("IN_STRAW_KEY", label, "StrawKey", rows, created_to=created)
    return sum(len(rows) for rows in found.values())


def index_all(store: GraphStore, chunk: int = 200_000) -> int:
    """The migration: key every gun with a purchase record and write the mark; on a marked store, key again the
    purchased guns under no key at all (:func:`index_unkeyed`). Returns the entries written."""
    if marked(store):
        return index_unkeyed(store)
    guns = store.query("firearms_purchased").df()
    written = 0
    keys = sorted(guns["key"].tolist()) if len(guns) else []
    for start in range(0, len(keys), chunk):
        written += index_firearms(store, keys[start:start + chunk])
    store.upsert_nodes("StrawKey", pd.DataFrame({"straw_key": [MARK]}))
    return written


def index_unkeyed(store: GraphStore) -> int:
    """Key the purchased guns that are under no key at all (a gun with a purchase record has at least its
    dealer-day's, unless none of its records names a dealer: those are read and write nothing). The national
    history built on 2026-12-06 held 1,258 such guns (docs/performance.md, keys23): the check is one read of the
    purchase records (~0.7 CPU s there) and the re-key costs what their load's keying did. Returns the entries
    written. Nothing on a store not marked (its migration keys every gun, :func:`index_all`)."""
    if not marked(store):
        return 0
    guns = store.query("firearms_unkeyed").df()
    return index_firearms(store, guns["key"]) if len(guns) else 0
