"""The simulator's lost/stolen file and recoveries abroad: planted hits are exactly the (trace, report) pairs that
share a firearm key, about 3% of traces are recovered abroad and about 70% of those in Mexico were US-sourced."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from loaders.domain.parsing import firearm_keys, normalize_manufacturers, normalize_serials, parse_weapon_types
from tests.worlds import simulated


def keys(frame: pd.DataFrame, ids: pd.Series) -> pd.Series:
    weapon, _ = parse_weapon_types(frame["weapon_type"])
    return firearm_keys(normalize_manufacturers(frame["manufacturer"]), normalize_serials(frame["serial_number"]),
                        weapon, ids)


def test_simulated_reports_hit_the_planted_recoveries(tmp_path_factory: pytest.TempPathFactory) -> None:
    world = simulated(tmp_path_factory, "small", 11)
    truth = json.loads((world / "truth.json").read_text(encoding="utf-8"))["stolen"]
    traces = pd.read_csv(world / "traces.csv", dtype=str, keep_default_na=False)
    stolen = pd.read_csv(world / "stolen.csv", dtype=str, keep_default_na=False)
    usable = traces[(traces["obliterated_serial"] != "Y") & (traces["serial_number"] != "")]
    joined = usable.assign(key=keys(usable, usable["trace_id"])).merge(
        stolen.assign(key=keys(stolen, stolen["report_id"])), on="key")
    found = set(zip(joined["trace_id"], joined["report_id"], strict=True))
    assert found == {(h["trace_id"], h["report_id"]) for h in truth["hits"]} and len(found) > 20
    assert {"US", "MX"} <= set(stolen["country"]) and stolen["reporter"].str.match(r"\d-\d{2}-").any()

    abroad = traces[traces["recovery_country"] != "US"]
    assert 0.02 <= len(abroad) / len(traces) <= 0.05
    mexico = abroad[abroad["recovery_country"] == "MX"]
    assert abs((mexico["dealer_ffl"] != "").mean() - 0.70) <= 0.12  # GAO-16-223
    assert {"MX", "CA", "GT", "SV", "HN"} <= set(abroad["recovery_country"])
