"""Identity resolution throughput on ~1M synthetic labelled mentions (tests/identity/identity_synth.py).

Prints mentions/s for one ``resolve_people`` call, the pairwise precision/recall on the same mentions, the time of
a reload against the persons just produced (the idempotent path), and peak memory.

    python bench/bench_identity.py [--people 430000] [--seed 1] [--cache /tmp/identity_bench.pkl]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "identity"))
from identity_synth import make_mentions, pairwise_scores

from loaders.identity import resolve_people


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=430_000, help="synthetic people (~2.7 mentions each)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=None, help="reuse generated mentions from this pickle")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.cache and args.cache.exists():
        labelled = pd.read_pickle(args.cache)
    else:
        labelled = make_mentions(args.people, seed=args.seed)
        if args.cache:
            labelled.to_pickle(args.cache)
    print(f"mentions: {len(labelled):,} of {labelled['true_person'].nunique():,} people "
          f"(generated/loaded in {time.perf_counter() - started:.1f} s)")
    frame = labelled.drop(columns="true_person")

    started = time.perf_counter()
    result = resolve_people(frame)
    elapsed = time.perf_counter() - started
    print(f"resolve: {elapsed:.1f} s, {len(frame) / elapsed:,.0f} mentions/s, {len(result.persons):,} persons")

    got = result.assignments.set_index("mention_id").loc[labelled["mention_id"], "person_key"]
    scores = pairwise_scores(got, labelled["true_person"])
    print(f"pairwise precision {scores.precision:.4f}, recall {scores.recall:.4f} "
          f"({scores.true_pairs:,} true pairs, {scores.predicted_pairs:,} predicted)")

    started = time.perf_counter()
    again = resolve_people(frame, known=result.persons)
    elapsed = time.perf_counter() - started
    same = bool((again.assignments["person_key"] == result.assignments["person_key"]).all())
    print(f"reload against {len(result.persons):,} known persons: {elapsed:.1f} s, "
          f"{len(frame) / elapsed:,.0f} mentions/s, same keys: {same}")
    print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
