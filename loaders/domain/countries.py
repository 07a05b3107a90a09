"""Representative points (approximate centroids, WGS 84) of the countries crime guns are most often traced
from abroad, so cross-border corridors (``state:US-TX`` -> ``country:MX``) can be drawn and modelled.

Values: rounded country centroids (Natural Earth admin-0 label points), accurate to a few tens of km, which is
all a country-level corridor needs.
"""

from __future__ import annotations

import pandas as pd

COUNTRY_POINTS: dict[str, tuple[float, float]] = {  # ISO 3166-1 alpha-2 -> (lat, lon)
    "MX": (23.9, -102.5), "CA": (56.1, -106.3), "GT": (15.7, -90.2), "SV": (13.8, -88.9), "HN": (14.8, -86.6),
    "BZ": (17.2, -88.7), "NI": (12.9, -85.0), "CR": (9.9, -84.1), "PA": (8.5, -80.1), "CO": (4.1, -72.9),
    "VE": (7.1, -66.2), "EC": (-1.4, -78.4), "PE": (-9.2, -74.4), "BR": (-10.8, -52.9), "AR": (-35.4, -65.2),
    "CL": (-37.7, -71.4), "DO": (18.9, -70.5), "HT": (19.0, -72.7), "JM": (18.1, -77.3), "BS": (24.7, -78.0),
    "TT": (10.4, -61.3), "CU": (21.6, -79.0), "PR": (18.2, -66.5), "GB": (54.1, -2.9), "DE": (51.1, 10.4),
    "AT": (47.6, 14.1), "IT": (42.8, 12.1), "CZ": (49.7, 15.3), "TR": (39.1, 35.2), "PH": (12.1, 122.9),
    "AU": (-25.7, 134.5),
}


def coordinates() -> pd.DataFrame:
    """``key, lat, lon`` with keys ``country:XX``."""
    return pd.DataFrame({"key": [f"country:{c}" for c in COUNTRY_POINTS],
                         "lat": [p[0] for p in COUNTRY_POINTS.values()],
                         "lon": [p[1] for p in COUNTRY_POINTS.values()]})
