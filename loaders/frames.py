"""pandas -> Arrow for the stores (pandas 3 string columns are not handed to Kùzu directly)."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from graph.schema import SCHEMA
from graph.store import ARROW_TYPES, FROM_KEY, TO_KEY


def arrow(frame: pd.DataFrame, label: str | None = None, rel_type: str | None = None) -> pa.Table:
    """Arrow table with the schema's declared types for ``label`` (node) or ``rel_type`` (relationship);
    NaN/None -> null. Without either, strings stay strings and numbers numbers."""
    declared: dict[str, pa.DataType] = {FROM_KEY: pa.string(), TO_KEY: pa.string()}
    if label is not None:
        declared.update({p.name: ARROW_TYPES[p.type] for p in SCHEMA.node(label).properties})
    if rel_type is not None:
        declared.update({p.name: ARROW_TYPES[p.type] for p in SCHEMA.relationship(rel_type).properties})
    columns: dict[str, pa.Array] = {}
    for name in frame.columns:
        series = frame[name]
        target = declared.get(str(name))
        if series.dtype == object and series.isna().all():
            array = pa.nulls(len(series), target or pa.string())
        else:
            array = pa.Array.from_pandas(series)
        if pa.types.is_large_string(array.type) or pa.types.is_string_view(array.type):
            array = array.cast(pa.string())
        if target is not None and array.type != target:
            if pa.types.is_timestamp(array.type) and target == pa.date32():
                array = array.cast(pa.timestamp("s")).cast(pa.date32())
            else:
                array = array.cast(target)
        columns[str(name)] = array
    return pa.table(columns)
