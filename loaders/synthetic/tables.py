"""Append-only column tables built from numpy blocks (the registries of the synthetic world)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def concat_blocks(blocks: list[dict[str, np.ndarray]], columns: list[str]) -> pd.DataFrame:
    """One DataFrame from blocks of numpy columns (text stays numpy ``object``, not pandas' Arrow strings)."""
    data = {c: np.concatenate([b[c] for b in blocks]) if blocks else np.empty(0, dtype=object) for c in columns}
    return pd.DataFrame({c: pd.Series(v, dtype=object) if v.dtype == object else v for c, v in data.items()},
                        copy=False)


class Table:
    """Append-only column store: blocks of equal-length arrays, concatenated on demand."""

    def __init__(self, columns: dict[str, Any]) -> None:
        self.defaults = columns
        self._blocks: list[dict[str, np.ndarray]] = []
        self.count = 0
        self._frame: pd.DataFrame | None = None

    def add(self, n: int, **cols: Any) -> np.ndarray:
        block: dict[str, np.ndarray] = {}
        for name, default in self.defaults.items():
            value = cols.pop(name, default)
            arr = np.asarray(value)
            if arr.ndim == 0:
                arr = np.full(n, value, dtype=object if arr.dtype.kind == "U" else arr.dtype)
            elif arr.dtype.kind == "U":
                arr = arr.astype(object)
            block[name] = arr
            if len(block[name]) != n:
                raise ValueError(f"column {name} has {len(block[name])} values, expected {n}")
        if cols:
            raise ValueError(f"unknown columns {sorted(cols)}")
        ids = np.arange(self.count, self.count + n, dtype=np.int64)
        self._blocks.append(block)
        self.count += n
        self._frame = None
        return ids

    def update(self, rows: np.ndarray, **cols: Any) -> None:
        """Set columns of existing rows (kept in the blocks so later appends do not lose it)."""
        frame = self.frame()
        for name, value in cols.items():
            arr = frame[name].to_numpy().copy()
            arr[np.asarray(rows, dtype=np.int64)] = value
            frame[name] = arr
        self._blocks = [{c: frame[c].to_numpy() for c in frame.columns}]

    def frame(self) -> pd.DataFrame:
        if self._frame is None:
            self._frame = concat_blocks(self._blocks, list(self.defaults))
            self._blocks = [{c: self._frame[c].to_numpy() for c in self._frame.columns}]
        return self._frame
