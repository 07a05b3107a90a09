"""Integer day numbers (days since 1970-01-01) written as ISO ``YYYY-MM-DD`` or eTrace's ``MM/DD/YYYY``."""

from __future__ import annotations

import numpy as np


def format_dates(days: np.ndarray, us_style: np.ndarray) -> np.ndarray:
    """Vectorised: ``days`` (int) -> object array of strings; ``us_style`` picks MM/DD/YYYY per element."""
    days = np.asarray(days, dtype=np.int64)
    iso = np.datetime_as_string(days.astype("datetime64[D]"), unit="D").astype(object)
    if not np.any(us_style):
        return iso
    us = np.array([f"{s[5:7]}/{s[8:10]}/{s[0:4]}" for s in iso[us_style]], dtype=object)
    out = iso.copy()
    out[us_style] = us
    return out


def years(days: np.ndarray) -> np.ndarray:
    return np.asarray(days).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
