"""Distances on the Earth: the one great-circle formula every analysis uses (corridors, straw features, dealers).

Reference: Sinnott, R. W. (1984), "Virtues of the Haversine", *Sky and Telescope* 68(2): 159; mean Earth radius
6371.0088 km (IUGG, Moritz 2000).
"""

from __future__ import annotations

from typing import Any

import numpy as np

EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius


def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (numpy broadcasting; NaN in, NaN out).

    >>> round(float(haversine_km(40.7128, -74.0060, 39.9526, -75.1652)), 1)  # New York - Philadelphia city halls
    129.6
    >>> round(float(haversine_km(np.array(40.71), np.array(-74.01), np.array(41.88), np.array(-87.63))))
    1144
    """
    p1, p2 = np.radians(np.asarray(lat1, float)), np.radians(np.asarray(lat2, float))
    dphi = p2 - p1
    dlam = np.radians(np.asarray(lon2, float) - np.asarray(lon1, float))
    a = np.sin(dphi / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlam / 2.0) ** 2
    return np.asarray(2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))
