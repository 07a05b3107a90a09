"""Sensitivity study: straw precision, ring recovery and corrupt-dealer rank when the simulator's assumptions move.

Each *cell* of the grid changes one assumption of the simulator (``loaders.synthetic.params.Scenario`` and the
scale's counts of collectors and theft victims) around a base, plus a few hard combinations; each cell is built
for several seeds, loaded into a fresh embedded store, analysed (``algorithms.analyze.analyze``) and scored
against its truth (``algorithms.scorecard.analysis_figures``). Worlds are small (``--traces``, default 3,000) so
the grid runs in minutes on two cores.

Seeds are split: ``--seeds`` (default 101-103) are the held-out seeds the tables in ``docs/accuracy.md`` report;
``tune`` seeds (1-3) are the ones defaults were chosen on. Nothing is fitted to a world's truth.

    .venv/bin/python bench/bench_sensitivity.py [--cells base,hidden] [--seeds 101,102,103] [--traces 3000]
        [--jobs 1] [--out bench/sensitivity.json] [--plot docs/accuracy_sensitivity.png] [--cache DIR]
    .venv/bin/python bench/bench_sensitivity.py --from run1.json run2.json … [--plot …]

``--from`` runs nothing: it combines saved runs (``--out`` files, e.g. several seed sets) into one table, each
cell over all their seeds. A cell of three seeds holds 31–42 planted rings, so one ring moves its recovery by about
three points; ``rings recovered (pooled)`` counts a cell's rings over every seed given, with a 95 % Wilson
interval, which is the figure to compare with a bar once several seed sets are in.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pandas as pd

from loaders.synthetic.params import SCALES, Params, Scenario, params_for

TUNE_SEEDS = (1, 2, 3)
REPORT_SEEDS = (101, 102, 103)

#: cell -> (what it varies, Scenario changes, Scale changes). One factor at a time around ``base``, then a few
#: hard combinations.
GRID: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "demo": ("the demo's small world (5,000 traces; not in the default grid)", {}, {}),
    "base": ("simulator defaults", {}, {}),
    "ring_3": ("3 straws per ring", {"ring_size": (3, 3)}, {}),
    "ring_8": ("8 straws per ring", {"ring_size": (8, 8)}, {}),
    "ring_15": ("15 straws per ring", {"ring_size": (15, 15)}, {}),
    "no_joint": ("no joint purchases", {"joint_purchase_share": 0.0}, {}),
    "no_household": ("no shared addresses", {"household_share": 0.0}, {}),
    "joint_often": ("joint purchases 70%, shared addresses 70%",
                    {"joint_purchase_share": 0.7, "household_share": 0.7}, {}),
    "spacing_60d": ("purchases within 60 days", {"purchase_window_days": 60}, {}),
    "spacing_2y": ("purchases spread over 2 years", {"purchase_window_days": 730}, {}),
    "no_ms": ("one gun per visit: no multiple-sale reports", {"straw_guns_per_visit": 1}, {}),
    "possessor_50": ("possessor recorded for 50% of ring guns", {"ring_possessor_recorded": 0.5}, {}),
    "dob_missing_40": ("40% of DOBs missing", {}, {}),
    "name_noise": ("nicknames 25%, first-name typos 10%", {"nickname_share": 0.25, "name_typo_share": 0.1}, {}),
    "collectors_x5": ("5x lawful collectors", {}, {"collectors_per_1000_traces": 10.0}),
    "victims_x5": ("5x theft victims", {}, {"theft_victims_per_1000_traces": 20.0}),
    "ttc_1y": ("straw guns recovered after ~1 year", {"straw_ttc_mean_days": 365.0}, {}),
    "ttc_3y": ("straw guns recovered after ~3 years", {"straw_ttc_mean_days": 1095.0}, {}),
    "one_dealer": ("each ring buys at one dealer", {"ring_dealers": (1, 1)}, {}),
    "many_dealers": ("each ring buys at 4-6 dealers", {"ring_dealers": (4, 6)}, {}),
    "corrupt_big": ("corrupt dealers among high-volume dealers", {"corrupt_dealer_big": True}, {}),
    "few_dealers": ("half as many dealers (busier dealers)", {}, {"dealers_per_trace": 0.4}),
    # hard combinations
    "hidden": ("rings that hide: no joint purchase, no shared address, no multiple-sale report",
               {"joint_purchase_share": 0.0, "household_share": 0.0, "straw_guns_per_visit": 1}, {}),
    "hidden_big_slow": ("hidden rings of 10, spread over a year, guns recovered after ~1 year",
                        {"joint_purchase_share": 0.0, "household_share": 0.0, "straw_guns_per_visit": 1,
                         "ring_size": (10, 10), "purchase_window_days": 365, "straw_ttc_mean_days": 365.0}, {}),
    "hidden_noisy": ("hidden rings, 50% possessors, noisy names, 5x victims and collectors",
                     {"joint_purchase_share": 0.0, "household_share": 0.0, "straw_guns_per_visit": 1,
                      "ring_possessor_recorded": 0.5, "nickname_share": 0.25, "name_typo_share": 0.1},
                     {"collectors_per_1000_traces": 10.0, "theft_victims_per_1000_traces": 20.0}),
}
#: Params fields outside Scenario/Scale that a cell changes.
PARAM_CHANGES: dict[str, dict[str, Any]] = {"dob_missing_40": {"dob_missing_share": 0.4}}


def cell_params(cell: str, seed: int, traces: int) -> Params:
    if cell == "demo":  # the demo's own world (`tracegraph demo --scale small --seed N`)
        return params_for("small", seed)
    _label, scenario, scale_changes = GRID[cell]
    changes = dict(scale_changes)
    dealers_per_trace = changes.pop("dealers_per_trace", 0.8)
    scale = dataclasses.replace(SCALES["small"], name=f"sensitivity-{cell}", traces=traces,
                                dealers=round(traces * dealers_per_trace), serial_batches=2, **changes)
    return Params(scale=scale, seed=seed, scenario=Scenario(**scenario), **PARAM_CHANGES.get(cell, {}))


def world(cell: str, seed: int, traces: int, cache: Path | None = None) -> tuple[dict[str, Any], Any]:
    """Simulate one world, load it with every loader into a fresh embedded store and pull the analysis tables:
    ``(truth, tables)``. With ``cache``, the pair is kept there (pickle, one file per cell, seed and size) and
    reused: simulating and loading is most of a cell's time, and the worlds do not change while the analytics
    are tuned. Clear the cache when the simulator or the loaders change."""
    import pickle

    from algorithms.tables import load_tables
    from api.cli.demo import LOADS
    from graph.embedded_store import EmbeddedStore
    from loaders.base import LoadOptions, run_load
    from loaders.kinds import loader_for
    from loaders.synthetic import simulate

    cached = cache / f"{cell}-{seed}-{traces}.pkl" if cache else None
    if cached is not None and cached.exists():
        return pickle.loads(cached.read_bytes())  # our own cache, written below
    work = Path(tempfile.mkdtemp(prefix=f"tg-sens-{cell}-{seed}-"))
    try:
        simulate("small", seed, work / "inputs", params=cell_params(cell, seed, traces))
        truth = json.loads((work / "inputs" / "truth.json").read_text(encoding="utf-8"))
        with EmbeddedStore(work / "store.lbug") as store:
            store.init_schema()
            for kind, name in LOADS:
                path = work / "inputs" / name
                if path.exists():
                    run_load(loader_for(kind), store, path, LoadOptions(rejects_dir=work / "rejects"))
            tables = load_tables(store)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(pickle.dumps((truth, tables)))
    return truth, tables


def run_cell(cell: str, seed: int, traces: int, resolutions: tuple[float, ...] = (),
             cache: Path | None = None) -> dict[str, Any]:
    """Simulate, load, analyse and score one world; returns the flat figures. The analysis runs the stages of
    ``algorithms.analyze.analyze`` that the figures read (straw features and scores, serial batches, dealer
    anomalies, networks) on the tables ``analyze`` would pull from the store. ``resolutions``: network
    resolutions to try besides the default (ring figures and review-list length only: the straw and dealer
    rankings do not depend on the networks)."""
    from algorithms import batches as serial_batches
    from algorithms import dealers as dealer_scoring
    from algorithms import evaluate, straw, straw_features
    from algorithms.analyze import NETWORK_RESOLUTION, _networks
    from algorithms.scorecard import analysis_figures

    started, cpu = time.perf_counter(), time.process_time()
    truth, tables = world(cell, seed, traces, cache)
    built = time.perf_counter() - started
    features = straw_features.compute(tables)
    scores = straw.score(features)
    found = [b for b in serial_batches.batches(tables) if b.score >= serial_batches.SIGNIFICANT]
    dealer_table = dealer_scoring.score(tables, batches=found).table
    networks, membership, _ = _networks(features.pairs, scores.table, seed=seed, resolution=NETWORK_RESOLUTION)
    figures = analysis_figures(truth, tables, features.values, scores.table[["person_key"]], membership,
                               dealer_table[["dealer_key", "score", "traces"]], features.pairs)
    sweep: dict[str, float] = {}
    for gamma in resolutions:
        found_networks, found_membership, _ = _networks(features.pairs, scores.table, seed=seed, resolution=gamma)
        rings = evaluate.ring_metrics(truth, tables.purchases, found_membership)
        sweep[f"sweep.{gamma:g}.recovered_share"] = rings["recovered_share"]
        sweep[f"sweep.{gamma:g}.mean_best_share"] = rings["mean_best_share"]
        sweep[f"sweep.{gamma:g}.reviewable"] = float(found_networks["reviewable"].sum())
    return {"cell": cell, "seed": seed, "seconds": round(time.perf_counter() - started, 1),
            "cpu_seconds": round(time.process_time() - cpu, 1), "load_average": _load_average(),
            "world_seconds": round(built, 1),
            "networks": len(networks), "reviewable_networks": int(networks["reviewable"].sum()),
            **sweep,
            **{f"straw.{k}": v for k, v in figures["straw"].items()},
            **{f"rings.{k}": v for k, v in figures["rings"].items()},
            **{f"dealers.{k}": v for k, v in figures["dealers"].items()}}


def _load_average() -> float:
    """The machine's 1-minute load average (the bench runs on shared machines: wall time alone misleads)."""
    try:
        return float(Path("/proc/loadavg").read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")


COLUMNS = {  # per-cell table: column -> (figure, how seeds are combined)
    "K": ("straw.k", "mean"),
    "precision@K": ("straw.precision_at_k", "mean"),
    "worst seed": ("straw.precision_at_k", "min"),
    "straw-only": ("straw.straw_only_precision_at_k", "mean"),
    "baseline +MS": ("straw.baseline_plus_multiple_sales", "mean"),
    "baseline 3y": ("straw.baseline_recovered_within_3y", "mean"),
    "collectors in top K": ("straw.collectors_in_top_k", "sum"),
    "theft victims in top K": ("straw.theft_victims_in_top_k", "sum"),
    "rings recovered": ("rings.recovered_share", "mean"),
    "rings recovered (pooled)": ("rings.recovered", "sum"),  # divided by the cell's rings scored in summarise
    "best share": ("rings.mean_best_share", "mean"),
    "rings merged": ("rings.merged", "sum"),
    "rings split": ("rings.split", "sum"),
    "rings untied": ("rings.untied", "sum"),
    "corrupt dealer median rank %": ("dealers.median_rank_share", "mean"),
    "reviewable networks": ("reviewable_networks", "mean"),
}


def summarise(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    out = {}
    for name, (column, how) in COLUMNS.items():
        grouped = frame.groupby("cell", sort=False)[column]
        out[name] = getattr(grouped, how)()
    table = pd.DataFrame(out)
    scored = frame.groupby("cell", sort=False)["rings.rings_scored"].sum()
    table["rings recovered (pooled)"] = (table["rings recovered (pooled)"] / scored).fillna(1.0)
    table["pooled 95% low"] = [wilson_low(r, n) for r, n in zip(
        frame.groupby("cell", sort=False)["rings.recovered"].sum(), scored, strict=True)]
    table["corrupt dealer median rank %"] *= 100
    return table


def wilson_low(successes: float, trials: float, z: float = 1.96) -> float:
    """Lower end of the Wilson score interval for a share (1.0 when there is nothing to count)."""
    if trials <= 0:
        return 1.0
    share = successes / trials
    centre = share + z * z / (2 * trials)
    spread = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials))
    return (centre - spread) / (1 + z * z / trials)


def markdown(table: pd.DataFrame) -> str:
    lines = ["| cell | varies | " + " | ".join(table.columns) + " |",
             "|---|---|" + "---|" * len(table.columns)]
    for cell, row in table.iterrows():
        cells = []
        for name, value in row.items():
            if name in ("K", "reviewable networks", "collectors in top K", "theft victims in top K", "rings merged",
                        "rings split", "rings untied"):
                cells.append(f"{value:.0f}")
            elif name in ("rings recovered (pooled)", "pooled 95% low"):
                cells.append(f"{value:.3f}")
            elif name == "corrupt dealer median rank %":
                cells.append(f"{value:.1f}")
            else:
                cells.append(f"{value:.2f}")
        lines.append(f"| {cell} | {GRID[str(cell)][0]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(table: pd.DataFrame, path: Path, seeds: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 7), sharey=True)
    y = np.arange(len(table))
    panels = (("precision@K", "baseline +MS", "straw precision@K (queue vs spreadsheet +MS)", 0.85),
              ("rings recovered (pooled)", None, "rings recovered, pooled over seeds (axis from 0.7)",
               0.9),
              ("corrupt dealer median rank %", None, "corrupt dealers: median rank, % of dealers", 1.0))
    for ax, (column, baseline, title, bar) in zip(axes, panels, strict=True):
        ax.barh(y, table[column], color="#3b6ea5", label="tracegraph")
        if baseline:
            ax.scatter(table[baseline], y, color="#d95f02", zorder=3, label="spreadsheet baseline")
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.04), ncol=2, fontsize=8)
        ax.axvline(bar, color="black", linestyle="--", linewidth=1)
        if column.startswith("rings"):
            ax.set_xlim(0.7, 1.0)  # the cells differ by a few rings: an axis from 0 hides them
        ax.set_title(title, fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(y, table.index)
    axes[0].invert_yaxis()
    fig.suptitle("Sensitivity of the analytics to the simulator's assumptions (dashed: issue 20's bar)"
                 + (f"; seeds {seeds}" if seeds else ""))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", default=",".join(c for c in GRID if c != "demo"),
                        help="comma-separated cells (default: all but demo)")
    parser.add_argument("--seeds", default=",".join(map(str, REPORT_SEEDS)))
    parser.add_argument("--traces", type=int, default=3000)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--resolutions", default="", help="network resolutions to compare (e.g. 0.05,0.1,0.2)")
    parser.add_argument("--out", type=Path, default=None, help="write every run's figures here (JSON)")
    parser.add_argument("--plot", type=Path, default=None, help="write the figure here (PNG)")
    parser.add_argument("--from", dest="saved", type=Path, nargs="+", default=None,
                        help="run nothing: combine these saved --out files into one table (each cell over all "
                             "their seeds)")
    parser.add_argument("--cache", type=Path, default=None,
                        help="keep the simulated and loaded worlds here and reuse them (clear it when the "
                             "simulator or the loaders change)")
    args = parser.parse_args()
    if args.saved:
        combine(args.saved, args.plot)
        return
    cells = [c for c in args.cells.split(",") if c]
    unknown = [c for c in cells if c not in GRID]
    if unknown:
        parser.error(f"unknown cells {unknown}; known: {', '.join(GRID)}")
    seeds = [int(s) for s in args.seeds.split(",") if s]
    sweep = tuple(float(r) for r in args.resolutions.split(",") if r)
    jobs = [(cell, seed, args.traces, sweep, args.cache) for cell in cells for seed in seeds]
    started, cpu = time.perf_counter(), time.process_time()
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            rows = list(pool.map(run_cell, *zip(*jobs, strict=True)))
    else:
        rows = [run_cell(*job) for job in jobs]
    for row in rows:
        print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}), flush=True)
    table = summarise(rows)
    print(markdown(table))
    worst = table.min(numeric_only=True)
    print(f"worst cell: precision@K {worst['precision@K']:.2f}, rings recovered {worst['rings recovered']:.2f} "
          f"(pooled {worst['rings recovered (pooled)']:.3f}); "
          f"worst corrupt-dealer median rank {table['corrupt dealer median rank %'].max():.1f}%; "
          f"collectors in any top K: {int(table['collectors in top K'].sum())}; "
          f"{time.perf_counter() - started:.0f} s wall, "
          f"{time.process_time() - cpu + sum(r['cpu_seconds'] for r in rows) * (args.jobs > 1):.0f} s CPU, "
          f"load average {_load_average():.2f} (mean over runs {np.nanmean([r['load_average'] for r in rows]):.2f})")
    if sweep:
        frame = pd.DataFrame(rows)
        for gamma in sweep:
            by_cell = frame.groupby("cell", sort=False)[f"sweep.{gamma:g}.recovered_share"].mean()
            print(f"resolution {gamma:g}: rings recovered worst cell {by_cell.min():.2f} ({by_cell.idxmin()}), "
                  f"mean {by_cell.mean():.2f}; reviewable networks mean "
                  f"{frame[f'sweep.{gamma:g}.reviewable'].mean():.0f}")
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1, sort_keys=True), encoding="utf-8")
    if args.plot:
        plot(table, args.plot, args.seeds)


def combine(paths: list[Path], plot_path: Path | None) -> None:
    """One table from saved runs: each cell over every seed in ``paths`` (tuning seeds included if given)."""
    rows = [row for path in paths for row in json.loads(path.read_text(encoding="utf-8"))]
    seeds = sorted({int(row["seed"]) for row in rows})
    table = summarise(rows)
    print(markdown(table))
    worst_cell = table["rings recovered (pooled)"].idxmin()
    print(f"{len(rows)} runs, seeds {','.join(map(str, seeds))}: worst cell precision@K "
          f"{table['precision@K'].min():.3f} ({table['precision@K'].idxmin()}); rings recovered pooled "
          f"{table.loc[worst_cell, 'rings recovered (pooled)']:.3f} ({worst_cell}, 95% low "
          f"{table.loc[worst_cell, 'pooled 95% low']:.3f}); all rings "
          f"{sum(r['rings.recovered'] for r in rows):.0f} / {sum(r['rings.rings_scored'] for r in rows):.0f}; "
          f"worst corrupt-dealer median rank {table['corrupt dealer median rank %'].max():.2f}%; "
          f"collectors in any top K: {int(table['collectors in top K'].sum())}")
    if plot_path:
        plot(table, plot_path, ", ".join(map(str, seeds)))


if __name__ == "__main__":
    main()
