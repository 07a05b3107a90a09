"""Damaged-serial matching at scale: index build time, query latency and accuracy on ~1M serials.

Serials follow the simulator's catalogue (makes, models and serial formats weighted as among traced guns, numbers
drawn at random in each format's space, so formats with short numbers are dense, as real ones are). A seeded
labelled set of damaged serials (``algorithms.serial_damage``) is matched against the index, with and without
the manufacturer.

    python bench/bench_serials.py [--serials 1000000] [--queries 300] [--seed 1]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from algorithms.serial_damage import KINDS, Damaged, damaged_set, ranking_metrics
from algorithms.serials import SerialIndex, match
from loaders.domain.parsing import normalize_serials
from loaders.synthetic.firearms import catalogue, pick_models, random_letters, serial_digits, serials


def make_firearms(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cat = catalogue()
    models = pick_models(rng, cat, n)
    style = cat.models["serial_style"].to_numpy()[models]
    numbers = np.zeros(n, dtype=np.int64)
    for s in np.unique(style):
        idx = np.flatnonzero(style == s)
        numbers[idx] = rng.integers(0, 10 ** serial_digits(str(s)), size=len(idx))
    raw = serials(style, numbers, random_letters(rng, n))
    frame = pd.DataFrame({"serial_normalized": normalize_serials(pd.Series(raw, dtype=object)),
                          "manufacturer_normalized": cat.models["manufacturer"].to_numpy()[models],
                          "model": cat.models["model"].to_numpy()[models],
                          "caliber": cat.models["caliber"].to_numpy()[models]})
    frame = frame.drop_duplicates(["manufacturer_normalized", "serial_normalized"]).reset_index(drop=True)
    frame["key"] = frame["manufacturer_normalized"] + "|" + frame["serial_normalized"]
    return frame


def measure(index: SerialIndex, labelled: list[Damaged], make_of: dict[str, str] | None
            ) -> tuple[dict[str, float], list[float]]:
    """Ranking metrics and per-query latency; ``make_of`` (serial -> manufacturer) adds the manufacturer."""
    truth = {d.pattern: d.serial for d in labelled}
    latencies: list[float] = []

    def search(pattern: str) -> list[str]:
        started = time.perf_counter()
        found = match(index, pattern, manufacturer=make_of[truth[pattern]] if make_of else None, top=10)
        latencies.append(time.perf_counter() - started)
        return [c.serial for c in found]

    return ranking_metrics(labelled, search), latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serials", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    firearms = make_firearms(args.serials, args.seed)
    print(f"firearms: {len(firearms):,} distinct (generated in {time.perf_counter() - started:.1f} s)")
    started = time.perf_counter()
    index = SerialIndex.build(firearms)
    print(f"index build: {time.perf_counter() - started:.2f} s")
    labelled = damaged_set(index.serials.tolist(), n=args.queries, seed=args.seed)
    make_of = dict(zip(firearms["serial_normalized"], firearms["manufacturer_normalized"], strict=True))
    for with_make in (False, True):
        metrics, latencies = measure(index, labelled, make_of if with_make else None)
        ms = np.array(latencies) * 1000
        label = "with manufacturer" if with_make else "serial only"
        print(f"{label}: p50 {np.percentile(ms, 50):.1f} ms, p95 {np.percentile(ms, 95):.1f} ms, "
              f"max {ms.max():.1f} ms; {metrics}")
        if not with_make:
            for kind in KINDS:
                subset = [d for d in labelled if d.kind == kind]
                print(f"  {kind:10s} {measure(index, subset, None)[0]}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
