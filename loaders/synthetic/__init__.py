"""A calibrated synthetic world with ground truth: ``simulate(scale, seed, out)`` writes the input files of
DATA_FORMATS.md and ``truth.json``.

Modules: ``params`` (scales, calibration targets), ``geography`` (Census places, ATF flows, UCR cities),
``dealers`` (licensees and licence numbers), ``people`` / ``names_data`` (identities as written),
``firearms`` (makes, models, serials), ``schemes`` (straw rings, unlicensed dealers, corrupt dealers),
``victims`` (collectors, theft victims, serial batches), ``background`` (calibrated ordinary traces),
``records`` / ``regulatory`` / ``writers`` (file rows), ``truth`` (truth.json).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from graph.errors import InvalidInput
from loaders.synthetic.background import fill_background
from loaders.synthetic.dealers import assign_trace_weights, build_dealers
from loaders.synthetic.firearms import catalogue
from loaders.synthetic.geography import STATES, geography
from loaders.synthetic.params import SCALES, Params, params_for
from loaders.synthetic.records import assign_identifiers
from loaders.synthetic.schemes import plant_trafficking
from loaders.synthetic.stolen import plant_abroad_and_losses, write_stolen
from loaders.synthetic.truth import build_truth
from loaders.synthetic.victims import plant_batches, plant_collectors, plant_theft_victims
from loaders.synthetic.world import World
from loaders.synthetic.writers import write_all

__all__ = ["FILES", "SCALES", "SimulationResult", "simulate"]

FILES = ("ffl_list.txt", "ffl_list_prev.txt", "traces.csv", "multiple_sales.csv", "nibin_leads.csv",
         "inspections.csv", "violations.csv", "hotspots.csv", "stolen.csv", "truth.json")


@dataclass(frozen=True)
class SimulationResult:
    out_dir: Path
    rows: dict[str, int]
    expected_rejects: dict[str, int]
    measured: dict[str, Any]
    seconds: float


def simulate(scale: str, seed: int, out_dir: Path, *, params: Params | None = None) -> SimulationResult:
    """Generate a world and write its files into ``out_dir`` (created if missing). Same arguments, same bytes.

    ``params`` replaces the named scale's parameters (the sensitivity study varies its ``scale`` and
    ``scenario``); ``scale`` and ``seed`` are then ignored."""
    started = time.perf_counter()
    params = params or params_for(scale, seed)
    seed = params.seed
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InvalidInput(f"output path is not a directory: {out_dir}")
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.Generator(np.random.PCG64(seed))
    geo = geography()
    dealers = build_dealers(rng, params, geo)
    # the high-trace tier is spread over states by how many traced guns each state sources (ATF flows)
    source_volume = (geo.flows.mul(geo.recovery_weight, axis=0)).sum(axis=0)
    assign_trace_weights(rng, dealers, source_volume, params.calibration.top_dealer_fraction)
    world = World(rng=rng, params=params, geo=geo, dealers=dealers, catalogue=catalogue())
    plant_trafficking(world)
    source_p = source_volume.reindex(list(STATES)).to_numpy()
    states = np.array(STATES, dtype=object)
    plant_theft_victims(world, states, source_p / source_p.sum())
    plant_collectors(world, states, source_p / source_p.sum())
    plant_batches(world)
    world.apply_households()
    plant_abroad_and_losses(world)
    fill_background(world)
    ids = assign_identifiers(world)
    rows, rejects = write_all(world, ids, out_dir)
    rows["stolen.csv"], stolen_truth = write_stolen(world, ids, out_dir)
    rejects["stolen.csv"] = 0
    truth = build_truth(world, ids, rows, rejects)
    truth["stolen"] = stolen_truth
    text = json.dumps(truth, indent=1, sort_keys=True, ensure_ascii=True) + "\n"
    (out_dir / "truth.json").write_text(text, encoding="utf-8", newline="\n")
    return SimulationResult(out_dir=out_dir, rows=rows, expected_rejects=rejects, measured=truth["measured"],
                            seconds=time.perf_counter() - started)
