"""Frame helpers of the incremental analysis' neighbourhood (:mod:`algorithms.straw_neighbourhood`,
:mod:`algorithms.straw_memberships`): pandas' own de-duplications, sorts, key sets and lookups done over Arrow
arrays and their dictionary codes (pandas factorises an Arrow string column in Python objects first). Each gives
what the pandas operation it names gives: the same rows in the same order, nulls equal to nulls
(``tests/analytics/test_frames.py``)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graph.side_index import first_rows

#: pandas' default string dtype (Arrow storage, NaN for missing): what the neighbourhood's frames hold
STR = pd.StringDtype(storage="pyarrow", na_value=np.nan)


def sorted_once(frame: pd.DataFrame, columns: list[str], rows: np.ndarray | None = None) -> pd.DataFrame:
    """``frame.drop_duplicates(columns).sort_values(columns, kind="stable")``, the order found by Arrow's stable
    sort over the key columns (pandas factorises each Arrow string column in Python objects first: ~0.5 CPU s a
    national batch); pandas' own where a column is not a plain Arrow type. ``rows``: of ``frame.iloc[rows]``
    (ascending positions), the frame taken once."""
    try:
        keys = pa.table({c: pa.array(frame[c], from_pandas=True) for c in columns})
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        part = frame if rows is None else frame.iloc[rows]
        return part.drop_duplicates(columns).sort_values(columns, kind="stable").reset_index(drop=True)
    if rows is not None:
        keys = keys.take(pa.array(rows, pa.int64()))
    # sorted stably first, a row is a duplicate when its keys equal the row's before it (nulls equal, as pandas
    # has them): the first of each run is the first in the frame's order, the one drop_duplicates keeps
    order = pc.sort_indices(keys, sort_keys=[(c, "ascending", "at_end") for c in columns])
    if len(order) > 1:
        ordered = keys.take(order)
        same = np.ones(len(order) - 1, dtype=bool)
        for column in ordered.columns:
            before, after = column.slice(0, len(order) - 1), column.slice(1)
            equal = pc.fill_null(pc.equal(before, after), False)
            both_null = pc.and_(pc.is_null(before), pc.is_null(after))
            same &= np.asarray(pc.or_(equal, both_null).to_numpy(zero_copy_only=False), dtype=bool)
        order = order.to_numpy()[np.concatenate([[True], ~same])]
    else:
        order = order.to_numpy()
    return frame.iloc[order if rows is None else rows[order]].reset_index(drop=True)


def left_join_first(left: pd.DataFrame, right: pd.DataFrame, on: str) -> pd.DataFrame:
    """``left.merge(right.drop_duplicates(on), on=on, how="left")``: each row of ``left`` with the columns of the
    first row of ``right`` holding its key (a null key matches a null, as a merge has it), missing values where
    none does. The right rows are found by Arrow's ``index_in`` (its value set hashed once, no de-duplication and
    no Python objects: a merge factorises both key columns and takes every column of both sides); each right
    column is taken as a merge takes it (an integer or boolean one with a row missing becomes a float or object
    one). pandas' own merge where a key column is not Arrow strings of one type or the two share another column."""
    others = [c for c in right.columns if c != on]
    try:
        keys, values = pa.array(left[on], from_pandas=True), pa.array(right[on], from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        keys = values = None
    if (keys is None or values is None or keys.type != values.type or not len(left) or set(others) & set(left.columns)
            or not (pa.types.is_string(keys.type) or pa.types.is_large_string(keys.type))):
        return left.merge(right.drop_duplicates(on), on=on, how="left")
    rows = pc.index_in(keys, value_set=values).fill_null(-1).to_numpy().astype(np.intp)
    joined = left.reset_index(drop=True)
    for name in others:
        column = right[name]
        taken = pd.api.extensions.take(column.array if isinstance(column.dtype, pd.api.extensions.ExtensionDtype)
                                       else column.to_numpy(), rows, allow_fill=True)
        joined[name] = pd.Series(taken, dtype=taken.dtype, copy=False)
    return joined


def mapped(keys: pd.Series, values: pd.Series, missing: float = 0.0) -> np.ndarray:
    """``keys.map(values).fillna(missing).to_numpy(float)`` for ``values`` (numbers) indexed by distinct strings:
    each key's row found by :func:`positions` (Arrow's ``index_in``: pandas maps an Arrow string column through
    Python objects and then tries to make strings of the result); pandas' own map where the index is not strings
    without nulls or repeats a key (a map refuses that)."""
    try:
        index = arrow(pd.Series(values.index))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        index = None
    if (index is None or index.null_count or not pa.types.is_string(index.type)
            or pc.count_distinct(index).as_py() != len(index)):
        return np.asarray(keys.map(values).fillna(missing).to_numpy(float), dtype=float)
    found = np.append(values.to_numpy(float), missing)[positions(keys, index)]  # (-1: the missing value, last)
    return np.where(np.isnan(found), missing, found)


def key_array(keys: Iterable[str]) -> pa.Array:
    """The distinct strings of ``keys`` as an Arrow array, in no particular order (a non-string is left out)."""
    items = keys if isinstance(keys, (set, frozenset)) else set(keys)
    try:
        return pa.array(list(items), pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([k for k in items if isinstance(k, str)], pa.string())


def first_row_positions(frame: pd.DataFrame, columns: list[str]) -> np.ndarray | None:
    """The positions of ``frame.drop_duplicates(columns)``'s rows, in order (:func:`graph.side_index.first_rows`);
    None where a column is not a plain Arrow type."""
    try:
        arrays = [pa.array(frame[name], from_pandas=True) for name in columns]
        return first_rows(arrays)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None


def drop_duplicates(frame: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """``frame.drop_duplicates(columns).reset_index(drop=True)``, the first rows found by
    :func:`first_row_positions`."""
    columns = list(frame.columns) if columns is None else columns
    if len(frame) < 2:
        return frame.reset_index(drop=True)
    rows = first_row_positions(frame, columns)
    if rows is None:
        return frame.drop_duplicates(columns).reset_index(drop=True)
    return frame.iloc[rows].reset_index(drop=True) if len(rows) < len(frame) else frame.reset_index(drop=True)


def key_series(keys: Iterable[str]) -> pd.Series:
    """A set of keys as a Series of Arrow strings, which :func:`~algorithms.tables.isin` hashes as it is (a Python
    set is converted to a Series of objects and then to Arrow, value by value, on every call)."""
    return pd.Series(pd.arrays.ArrowStringArray(key_array(keys)))


def distinct(column: object) -> set[str]:
    """The distinct non-null values of a column (``tolist`` first: iterating an Arrow-backed column is slow)."""
    if not isinstance(column, pd.Series) or column.empty:
        return set()
    return set(column.dropna().tolist())


def distinct_strings(*parts: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The distinct non-null strings of ``parts`` (Arrow strings, hashed in Arrow: no Python set), in the order
    first seen.

    >>> distinct_strings(pa.array(["b", None, "a"]), pa.chunked_array([["a", "c"]])).to_pylist()
    ['b', 'a', 'c']
    """
    chunks = [c for p in parts for c in (p.chunks if isinstance(p, pa.ChunkedArray) else [p])]
    if not chunks:
        return pa.array([], pa.string())
    return pc.unique(pc.drop_null(pa.chunked_array(chunks)))


def pairs_frame(groups: object, persons: object) -> pd.DataFrame:
    """(group, person_key) by position, as Arrow-backed strings (object columns are converted back to Arrow by
    every ``isin`` and dictionary encoding after)."""
    return pd.DataFrame({"group": strings(groups), "person_key": strings(persons)})


def strings(values: object) -> pd.api.extensions.ExtensionArray:
    column = values if isinstance(values, pd.Series) else pd.Series(values)
    return column.astype("str").array




# --- Arrow arrays and their codes (:func:`algorithms.straw_memberships.own_memberships`) -------------------------

def arrow(column: pd.Series) -> pa.Array:
    """A column as one Arrow array (strings as ``pa.string()``); raises ``pa.ArrowInvalid`` /
    ``pa.ArrowTypeError`` where a column is not a plain Arrow type."""
    array = pa.array(column, from_pandas=True)
    array = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
    return array.cast(pa.string()) if pa.types.is_large_string(array.type) else array


def mask(array: pa.Array) -> np.ndarray:
    """A boolean Arrow array as a numpy mask (null as False)."""
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def valid(array: pa.Array) -> np.ndarray:
    """Where ``array`` is not null."""
    return mask(array.is_valid())


def codes(*columns: pa.Array) -> list[np.ndarray]:
    """Each column's codes over the values of all of them: equal values (nulls too) one code."""
    if not columns:
        return []
    joined = pa.concat_arrays([column.cast(pa.string()) for column in columns])
    found = pc.dictionary_encode(joined, null_encoding="encode").indices.to_numpy(zero_copy_only=False)
    ends = np.cumsum([len(column) for column in columns])
    return [part.astype(np.int64) for part in np.split(found, ends[:-1])]


def positions_in(keys: pa.Array, among: pa.Array) -> np.ndarray:
    """Per key, its position in ``among`` (whose values are unique); ``len(among)`` where absent or null: what
    ``pandas.merge(how="left")`` with a right side unique by its key pairs each left row with."""
    found = pc.index_in(keys, value_set=among) if len(among) else pa.nulls(len(keys), pa.int32())
    return found.fill_null(len(among)).to_numpy(zero_copy_only=False).astype(np.int64)


def positions(column: pd.Series, keys: pa.Array) -> np.ndarray:
    """Per row of ``column``, the position of its value in ``keys`` (strings, each once); -1 for another value or
    a null (a column that is not Arrow strings is looked up by pandas)."""
    if not len(column):
        return np.empty(0, np.int64)
    try:
        values = arrow(column)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        values = None
    if values is None or not pa.types.is_string(values.type):
        return pd.Index(keys.to_pylist(), dtype=object).get_indexer(column.astype(object)).astype(np.int64)
    found = pc.index_in(values, value_set=keys, skip_nulls=True)
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def take(array: pa.Array, positions: np.ndarray) -> pa.Array:
    """``array`` at ``positions``, null where a position is ``len(array)`` or more."""
    missing = positions >= len(array)
    if not missing.any():
        return array.take(pa.array(positions, pa.int64()))
    return array.take(pa.array(np.where(missing, 0, positions), pa.int64(), mask=missing))


def first_where(labels: np.ndarray, groups: int, where: np.ndarray) -> np.ndarray:
    """Per group (``labels``: each row's, 0 .. groups - 1), the first row with ``where`` set; ``len(labels)`` for a
    group without one: the row of ``groupby(...).agg("first")``, which skips nulls."""
    first = np.full(groups, len(labels), np.int64)
    rows = np.flatnonzero(where)
    np.minimum.at(first, labels[rows], rows)
    return first


def inner_join_positions(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The row pairs of ``pandas.merge(how="inner")`` on key codes ``left`` and ``right``, in its order: the left
    rows in theirs, each with its right matches in theirs."""
    size = int(max(left.max(initial=-1), right.max(initial=-1))) + 1
    order = np.argsort(right, kind="stable")
    counts = np.bincount(right, minlength=size)
    starts = np.cumsum(counts) - counts
    per = counts[left]
    lefts = np.repeat(np.arange(len(left)), per)
    within = np.arange(len(lefts)) - np.repeat(np.cumsum(per) - per, per)
    return lefts, order[np.repeat(starts[left], per) + within]


def unseen(columns: list[pd.Series | None], seen: list[pa.Array]) -> pa.Array:
    """The distinct non-null strings of ``columns`` not in ``seen`` (arrays of distinct strings), appended to it:
    the keys a read has not asked for yet, as Arrow strings (a Python set of ~100k keys and its conversion back to
    Arrow for the read hold Python's lock)."""
    found = [arrow(column).cast(pa.string()) for column in columns if column is not None and len(column)]
    keys = distinct_strings(*found)
    if seen and len(keys):
        keys = keys.filter(pc.invert(pc.is_in(keys, value_set=pa.concat_arrays(seen))))
    if len(keys):
        seen.append(keys)
    return keys
