"""The tables every analytic starts from, pulled out of a store once per analysis run.

Only the generic store interface is used (``edge_list`` / ``node_table``), so the same analytics run on the
embedded store and on Neo4j. Each table is a pandas DataFrame with plain Python objects for strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graph.store import GraphStore


def _frame(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas(types_mapper=None, strings_to_categorical=False)


@dataclass(frozen=True)
class AnalysisTables:
    """What the analytics read. Column names follow the schema; ``src``/``dst`` are endpoint keys."""

    persons: pd.DataFrame      # key, names, dob, street, city, state, zip, record_count
    purchases: pd.DataFrame    # src (person), dst (firearm), sale_id, purchase_date, dealer_key, multiple_sale, ...
    firearms: pd.DataFrame     # key, manufacturer_normalized, model, caliber, weapon_type, obliterated
    sold: pd.DataFrame         # src (dealer), dst (firearm), sale_date
    recovered: pd.DataFrame    # src (firearm), dst (recovery)
    recoveries: pd.DataFrame   # key, recovery_date, recovery_state, recovery_city, ..., time_to_crime_days
    possessed: pd.DataFrame    # src (recovery), dst (person)
    dealers: pd.DataFrame      # key, license_number, business_name, premise_state, license_county, lat, lon, ...
    lives_at: pd.DataFrame     # src (person), dst (location)
    nibin: pd.DataFrame        # src, dst (recoveries), status
    locations: pd.DataFrame    # key, kind, name, state, country, lat, lon
    state_flows: pd.DataFrame  # src, dst (locations), year, level, basis, firearms (every FLOW in the store)
    stolen: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["src", "dst", "reported_date"]))  # src (firearm), dst (TheftReport), reported_date


def load_tables(store: GraphStore) -> AnalysisTables:
    return AnalysisTables(
        persons=_persons(store),
        purchases=_frame(store.edge_list("PURCHASED", "Person", "Firearm",
                                         ("sale_id", "purchase_date", "dealer_key", "multiple_sale", "report_id",
                                          "source"))),
        firearms=_frame(store.node_table("Firearm", ("manufacturer_normalized", "model", "caliber", "weapon_type",
                                                     "obliterated", "serial_normalized"))),
        sold=_frame(store.edge_list("SOLD", "Dealer", "Firearm", ("sale_date",))),
        recovered=_frame(store.edge_list("RECOVERED_IN", "Firearm", "Recovery")),
        recoveries=_frame(store.node_table("Recovery", (
            "recovery_date", "recovery_state", "recovery_city", "recovery_country", "lat", "lon",
            "time_to_crime_days", "crime_code", "purchase_date", "trace_status", "multiple_sale_report_id"))),
        possessed=_frame(store.edge_list("POSSESSED_BY", "Recovery", "Person")),
        dealers=_frame(store.node_table("Dealer", (
            "license_number", "business_name", "license_name", "premise_state", "premise_city", "license_county",
            "license_type", "status", "lat", "lon"))),
        lives_at=_frame(store.edge_list("LIVES_AT", "Person", "Location")),
        nibin=_frame(store.edge_list("NIBIN_LINK", "Recovery", "Recovery", ("status",))),
        locations=_frame(store.node_table("Location", ("kind", "name", "state", "country", "lat", "lon"))),
        state_flows=_frame(store.edge_list("FLOW", "Location", "Location",
                                           ("year", "level", "basis", "firearms", "median_ttc_days"))),
        stolen=_stolen(store),
    )


def _persons(store: GraphStore) -> pd.DataFrame:
    """Persons, without the stand-ins for purchasers the retention policy removed (algorithms/retention.py): their
    sales still count for dealers (``purchases``) but they are nobody to score or rank."""
    persons = _frame(store.node_table("Person", ("last_name", "first_name", "middle_name", "suffix", "dob", "street",
                                                 "city", "state", "zip", "record_count", "purged")))
    purged = persons.pop("purged").fillna(False).astype(bool)
    return persons[~purged.to_numpy()].reset_index(drop=True)


def _stolen(store: GraphStore) -> pd.DataFrame:
    """Lost/stolen reports per firearm (REPORTED_STOLEN) with the report date."""
    links = _frame(store.edge_list("REPORTED_STOLEN", "Firearm", "TheftReport"))
    if links.empty:
        return pd.DataFrame(columns=["src", "dst", "reported_date"])
    reports = _frame(store.node_table("TheftReport", ("reported_date",))).rename(columns={"key": "dst"})
    return links.merge(reports, on="dst", how="left")


def isin(column: pd.Series, values: object) -> np.ndarray:
    """``column.isin(values)`` as a numpy mask, hashed in Arrow: pandas' own ``isin`` on Arrow-backed strings
    builds a Python scalar per value, which dominated the incremental run when the value sets are persons.
    ``values``: a Series or Index of strings (hashed as they are), or any collection."""
    items = values if isinstance(values, (list, np.ndarray, pd.Index, pd.Series)) else list(values)  # type: ignore[call-overload]
    if len(column) == 0 or len(items) == 0:
        return np.zeros(len(column), dtype=bool)
    array = pa.array(column, from_pandas=True)
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return column.isin(items).to_numpy(dtype=bool)
    value_set = None
    if isinstance(items, (pd.Series, pd.Index)):  # straight from Arrow when the values are strings already
        candidate = pc.drop_null(pa.array(items, from_pandas=True))
        if pa.types.is_string(candidate.type) or pa.types.is_large_string(candidate.type):
            value_set = candidate.cast(array.type)
    if value_set is None:
        value_set = pa.array(pd.Series(items, dtype=object).dropna().astype(str).to_numpy(dtype=object),
                             type=array.type)
    return np.asarray(pc.is_in(array, value_set=value_set).fill_null(False).to_numpy(zero_copy_only=False),
                      dtype=bool)
