"""The rows of the new traces, read by key: what an incremental analysis' corridor cells and the alerts' recovery
rows (:func:`algorithms.incremental.new_recoveries`) need, instead of the whole tables (:func:`load_tables`).

Every statement binds its start node by key (``cypher/straw_*.cypher``, ``cypher/trace_rows_*.cypher``), so the
reads grow with the batch, not the history. Each table comes back in the order :func:`load_tables` hands out its
rows (:func:`graph.store.in_key_order`), so what a table's first row decides (a gun's first sale, a recovery's
possessor) is the same as over the whole tables.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from algorithms.tables import AnalysisTables
from graph.store import GraphStore, in_key_order

#: the columns of each table read here (those :func:`load_tables` has that the consumers read)
COLUMNS = {
    "recovered": ["src", "dst"],
    "recoveries": ["key", "recovery_date", "recovery_state", "recovery_city", "recovery_country", "lat", "lon",
                   "time_to_crime_days", "crime_code", "purchase_date", "trace_status", "multiple_sale_report_id"],
    "firearms": ["key", "manufacturer_normalized", "model", "caliber", "weapon_type", "obliterated",
                 "serial_normalized"],
    "sold": ["src", "dst", "sale_date"],
    "purchases": ["src", "dst", "sale_id", "purchase_date", "dealer_key", "multiple_sale", "report_id", "source"],
    "possessed": ["src", "dst"],
    "stolen": ["src", "dst", "reported_date"],
    "dealers": ["key", "license_number", "business_name", "premise_state", "premise_city", "lat", "lon"],
    "locations": ["key", "kind", "name", "state", "country", "lat", "lon"],
}


def _read(store: GraphStore, statement: str, keys: Iterable[str], table: str) -> pd.DataFrame:
    columns = COLUMNS[table]
    if isinstance(keys, pd.Series):  # distinct first (the corridor cells' places repeat): iterating Arrow is slow
        keys = keys.dropna().unique().tolist()
    wanted = sorted({k for k in keys if isinstance(k, str)})
    found = store.query(statement, {"keys": wanted}).arrow() if wanted else None
    if found is None or found.num_rows == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return in_key_order(found.select(columns)).to_pandas()


def of_traces(store: GraphStore, traces: set[str]) -> AnalysisTables:
    """The rows of the recoveries ``traces``: their RECOVERED_IN rows and Recovery nodes, their guns (Firearm,
    every SOLD, PURCHASED and REPORTED_STOLEN row of each), their possessors and their guns' dealers. The tables the
    traces do not reach (persons, addresses, NIBIN leads, flows) are empty; ``locations`` is read by
    :func:`locations` for the places that need coordinates."""
    recovered = _read(store, "straw_guns_recovered_in", traces, "recovered")
    guns = set(recovered["src"])
    sold = _read(store, "straw_sold", guns, "sold")
    return _guns_tables(store, guns, recovered=recovered, sold=sold,
                        recoveries=_read(store, "straw_recoveries", traces, "recoveries"),
                        possessed=_read(store, "straw_possessed_of_recoveries", traces, "possessed"),
                        dealers=_read(store, "trace_rows_dealers", set(sold["src"]), "dealers"))


def of_firearms(store: GraphStore, guns: set[str], dealers: pd.DataFrame) -> AnalysisTables:
    """Every row of the firearms ``guns`` the dealer counts read (:func:`algorithms.dealers.gun_counts`): their
    Firearm nodes, every SOLD, PURCHASED, RECOVERED_IN and REPORTED_STOLEN row and the recoveries. ``dealers``: the
    Dealer nodes (key, premise_state at least), passed through."""
    recovered = _read(store, "straw_recovered", guns, "recovered")
    return _guns_tables(store, guns, recovered=recovered, sold=_read(store, "straw_sold", guns, "sold"),
                        recoveries=_read(store, "straw_recoveries", set(recovered["dst"]), "recoveries"),
                        possessed=_empty(), dealers=dealers)


def _empty() -> pd.DataFrame:
    """A new empty edge table (each table its own frame: a caller may add columns to one)."""
    return pd.DataFrame({"src": pd.Series(dtype=object), "dst": pd.Series(dtype=object)})


def _guns_tables(store: GraphStore, guns: set[str], *, recovered: pd.DataFrame, sold: pd.DataFrame,
                 recoveries: pd.DataFrame, possessed: pd.DataFrame, dealers: pd.DataFrame) -> AnalysisTables:
    """Analysis tables holding the given rows and the guns' purchases, Firearm nodes and theft reports; the tables
    no gun reaches (persons, addresses, NIBIN leads, places, flows) empty."""
    return AnalysisTables(
        persons=pd.DataFrame({"key": pd.Series(dtype=object)}),
        purchases=_read(store, "trace_rows_purchases", guns, "purchases"),
        firearms=_read(store, "straw_firearms", guns, "firearms"), sold=sold, recovered=recovered,
        recoveries=recoveries, possessed=possessed, dealers=dealers, lives_at=_empty(),
        nibin=_empty().assign(status=pd.Series(dtype=object)),
        locations=pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS["locations"]}),
        state_flows=pd.DataFrame(columns=["src", "dst", "year", "level", "basis", "firearms"]),
        stolen=_read(store, "straw_stolen", guns, "stolen"))


def locations(store: GraphStore, keys: Iterable[str]) -> pd.DataFrame:
    """The Location rows of ``keys`` (key, kind, name, state, country, lat, lon)."""
    return _read(store, "trace_rows_locations", keys, "locations")


def points(store: GraphStore) -> pd.DataFrame:
    """Every Location with a point (key, state, lat, lon), in key order: the corridor models' coordinates
    (:func:`algorithms.corridor_cells.flows` keeps the places of the cells among them)."""
    found = store.query("corridor_places").arrow()
    if found.num_rows == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ("key", "state", "lat", "lon")})
    return in_key_order(found.select(["key", "state", "lat", "lon"]), ["key"]).to_pandas()


def any_sale(store: GraphStore) -> bool:
    """Whether the store holds a retail sale (a SOLD row) at all."""
    return len(store.query("trace_rows_any_sale").rows()) > 0
