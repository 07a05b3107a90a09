"""The straw-feature groups too big to tie, stored so an incremental run settles them without reading them.

A group of :func:`algorithms.straw_features._pairs` (a dealer-day, an address, a common possessor, a supply line, a
recovery city, a corridor, a dealer's multiple-sale counter) with more persons than its limit
(:data:`algorithms.straw_neighbourhood.GROUP_LIMITS`) ties nobody: ``_pairs`` leaves it out whole. Such a group is
stored as a ``StrawGroup`` node keyed by its id (``<kind>|<key>``, as
:func:`algorithms.straw_neighbourhood.memberships` names it) with the persons known in it. The full analysis writes
them all (:func:`write`), as its straw features' ties left them out
(:attr:`algorithms.straw_features.PersonFeatures.big_groups`: no second pass over the rows); :func:`of_tables`
counts them apart from every membership (an older store's migration, and the tests that the two agree); an
incremental run adds the groups a batch made big
(:class:`algorithms.straw_neighbourhood.Neighbourhood` finds them while it reads the changed persons' groups) and
never reads the members of a stored one: the tying step skips it (it ties nobody before or after the batch), the
closure does not read it, and :func:`algorithms.straw_features.compute` is told to leave it out (``too_big``).

Why a stored group stays big until the next full analysis: between full analyses a group only grows. Loads add
rows (a trace, multiple-sale, NIBIN or lost/stolen load writes new purchase records, recoveries, possessors and
leads); the one removal is a retention purge, which marks the store so the next analysis is a full one
(:func:`algorithms.retention.apply` -> ``rows_removed``; :func:`algorithms.incremental.analyze_incremental`
refuses to run incrementally on it). A full analysis forgets every stored group and writes them again from the
whole tables. A trace record loaded again with other facts (a corrected purchase date, dealer, purchaser or
recovery city) can move its persons out of a group; the traces loader counts such corrections and the next
analysis is then a full one (:mod:`loaders.corrections`, :func:`algorithms.runs.new_load_runs`). Not covered yet:
multiple-sale, NIBIN and lost/stolen records loaded again with other facts (their earlier relationships stay beside
the new ones until a retention purge or a rebuild), which the weekly full analysis takes as loaded. A group missing
from the store is read as before (its candidates, then its members until it is settled), so a missing node costs
time, never exactness; only a stored group that is not big would cost exactness, which the above rules out.

Nothing here is a node of the user's graph: the API, Bloom and the snapshot leave ``straw_members`` out
(``internal``).
"""

from __future__ import annotations

import pandas as pd

from algorithms import straw_features
from algorithms.straw_neighbourhood import GROUP_LIMITS, STORED_KINDS, memberships
from algorithms.tables import AnalysisTables, load_tables
from graph.store import GraphStore

COLUMNS = ["group_id", "straw_members"]


def of_tables(t: AnalysisTables) -> pd.DataFrame:
    """Every group of the stored kinds with more persons than its limit, from the whole tables: group_id,
    straw_members (the persons in it)."""
    events, recovered = straw_features.purchase_and_recovery_events(t)
    found = memberships(t, events, recovered)
    found = found[found["group"].str[:2].isin(STORED_KINDS).to_numpy()]
    sizes = found.groupby("group").size()
    limits = sizes.index.str[:2].map(GROUP_LIMITS).to_numpy(int)
    big = sizes[sizes.to_numpy() > limits]
    return pd.DataFrame({"group_id": big.index.to_numpy(object), "straw_members": big.to_numpy("int64")})


def write(store: GraphStore, groups: pd.DataFrame, run: str, *, whole: bool) -> None:
    """Store ``groups`` (group_id, straw_members); ``whole``: they are every big group (a full analysis), so the
    stored ones are forgotten first."""
    if whole:
        store.init_schema()  # a store made before the groups gains their table
        store.query("straw_groups_clear")
    if len(groups):
        store.upsert_nodes("StrawGroup", groups[COLUMNS].astype({"straw_members": "int64"}).assign(
            analysis_run_id=run))


def migrate(store: GraphStore) -> int:
    """The migration for a store whose last full analysis predates the stored groups: count them from the whole
    tables once and mark the latest analysis as holding them. Returns how many were stored."""
    from algorithms.runs import latest_analysis, mark_latest_analysis

    latest = latest_analysis(store)
    if latest is None:
        return 0
    store.init_schema()
    groups = of_tables(load_tables(store))
    write(store, groups, str(latest["key"]), whole=True)
    mark_latest_analysis(store, "straw_groups")
    return len(groups)
