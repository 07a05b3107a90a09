"""Text items joined per group, as ``frame.groupby(keys, sort=True)[item].agg(", ".join)`` gives them, without
pandas' Python-level aggregate (it builds a Series per group: ~60 µs a group, ~0.6 CPU s for a national batch's
~10k guns' dealer shares, Python's lock held throughout while the other lane of the daily analysis waits for it).
The groups are numbered by pandas' own sorted grouping, the items ordered by group with a stable sort (so each
group keeps its items' order), and each group's slice joined once (``tests/analytics/test_grouped_text.py``)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def joined(keys: pd.DataFrame | pd.Series | pd.Index, items: pd.Series | np.ndarray, separator: str = ", ",
           name: str | None = None) -> pd.Series:
    """``items`` (strings, one per row of ``keys``) joined with ``separator`` per distinct key (the rows of
    ``keys``: a frame of key columns, a series or an index), indexed and ordered as
    ``pd.Series(items).groupby(keys, sort=True).agg(separator.join)`` (no null keys: every row is in a group), named
    ``name``."""
    values = np.asarray(items, dtype=object)
    if len(values) == 0:  # (pandas' own: its empty result's index and dtype, at no cost)
        return pd.Series(values, index=pd.MultiIndex.from_frame(keys) if isinstance(keys, pd.DataFrame)
                         else pd.Index(keys), dtype=object, name=name).groupby(level=list(range(
                             keys.shape[1])) if isinstance(keys, pd.DataFrame) else 0, sort=True).agg(separator.join)
    if isinstance(keys, pd.DataFrame):
        grouped = keys.groupby(list(keys.columns), sort=True)
    else:
        grouped = pd.Series(np.zeros(len(values)), index=pd.Index(keys)).groupby(level=0, sort=True)
    numbers = grouped.ngroup().to_numpy(np.int64)
    index = grouped.size().index
    order = np.argsort(numbers, kind="stable")
    ordered = values[order].tolist()
    starts = np.flatnonzero(np.r_[True, np.diff(numbers[order]) != 0])
    ends = np.r_[starts[1:], len(ordered)]
    return pd.Series([separator.join(ordered[start:end]) for start, end in zip(starts.tolist(), ends.tolist(),
                                                                             strict=True)],
                     index=index, name=name)  # (the dtype inferred, as pandas infers its aggregate's)
