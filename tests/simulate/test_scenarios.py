"""The simulator's assumption knobs (``Scenario``): each one changes the world the way its name says, and the
defaults change nothing."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from loaders.synthetic import simulate
from loaders.synthetic.params import SCALES, Params, Scenario
from tests.simulate.sim_helpers import read_csv

TINY = dataclasses.replace(SCALES["small"], name="tiny", traces=1500, dealers=1200, serial_batches=1)


def build(tmp: Path, **knobs: Any) -> tuple[dict[str, Any], Path]:
    simulate("small", 0, tmp, params=Params(scale=TINY, seed=5, scenario=Scenario(**knobs)))
    return json.loads((tmp / "truth.json").read_text(encoding="utf-8")), tmp


@pytest.fixture(scope="module")
def hidden(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    return build(tmp_path_factory.mktemp("hidden"), ring_size=(8, 8), joint_purchase_share=0.0,
                 household_share=0.0, straw_guns_per_visit=1, name_typo_share=1.0)


def test_defaults_are_the_original_assumptions(tmp_path: Path) -> None:
    assert Scenario().changed() == {}
    truth, _ = build(tmp_path)
    assert "scenario" not in truth["generator"]["parameters"]


def test_hidden_rings_have_the_asked_size_and_no_multiple_sale_report(hidden: tuple[dict[str, Any], Path]) -> None:
    truth, _ = hidden
    assert truth["generator"]["parameters"]["scenario"]["ring_size"] == [8, 8]
    assert truth["rings"] and all(len(ring["straw_person_ids"]) == 8 for ring in truth["rings"])
    assert not [s for s in truth["straw_purchasers"] if s["multiple_sale_report_ids"]]
    # no two straws of a ring share an address
    for ring in truth["rings"]:
        homes = Counter((s["identity"]["street"], s["identity"]["zip"]) for s in truth["straw_purchasers"]
                        if s["ring_id"] == ring["ring_id"])
        assert max(homes.values()) == 1


def test_hidden_rings_never_buy_together(hidden: tuple[dict[str, Any], Path]) -> None:
    truth, out = hidden
    traces = read_csv(out / "traces.csv").set_index("trace_id")
    for ring in truth["rings"]:
        visits = Counter()
        for straw in (s for s in truth["straw_purchasers"] if s["ring_id"] == ring["ring_id"]):
            for trace in straw["purchaser_in_traces"]:
                row = traces.loc[trace]
                visits[(row["dealer_ffl"], row["purchase_date"])] += 1
        assert not visits or max(visits.values()) == 1  # one gun per straw per visit, no straw at another's


def test_name_typos_reach_the_records(hidden: tuple[dict[str, Any], Path]) -> None:
    truth, out = hidden
    traces = read_csv(out / "traces.csv").set_index("trace_id")
    written = [(s["identity"]["first_name"], traces.at[t, "purchaser_first_name"].strip().upper())
               for s in truth["straw_purchasers"] for t in s["purchaser_in_traces"]]
    long_names = [(true, seen) for true, seen in written if len(true) >= 4]
    assert long_names and sum(true != seen for true, seen in long_names) >= 0.8 * len(long_names)
