"""A whole-world STIX bundle's build: CPU seconds of ``to_stix`` and of its JSON, and the JSON's digest.

    python bench/bench_stix_build.py --db STORE [--tlp green] [--role partner] [--repeat 2] [--profile N]

Reads the store's export records once (``collect_scope(store, "all")``, not timed), then builds the bundle
``--repeat`` times as ``tracegraph export stix`` does (``to_stix``, then ``bundle_dict`` and the sorted compact
JSON) and prints per repeat the CPU seconds of the build and of the JSON, the objects by type and the SHA-256 of
the JSON; each repeat also builds the baseline, the same bundle fully checked by stix2 as before the exporter
trusted its own patterns, and prints its CPU seconds, the ratio, and whether its digest is the same (equal digests
mean byte-for-byte equal bundles). ``--profile N`` prints cProfile's N costliest calls of
one more build. The store is opened read-only.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import pstats
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from exports.stix import bundle_dict, to_stix
from exports.stix_scope import collect_scope
from exports.tlp import clearance, level
from graph import open_store


def _build(records: Any, wanted: Any, cleared: Any, full_checks: bool = False
           ) -> tuple[float, float, str, Counter[str]]:
    """One build as ``tracegraph export stix`` does it (``full_checks``: as stix2 alone would): its CPU s, its
    JSON's CPU s and the JSON's digest."""
    t0 = time.process_time()
    bundle = to_stix(records, tlp=wanted, clearance=cleared, salt="bench", full_checks=full_checks)
    t1 = time.process_time()
    text = json.dumps(bundle_dict(bundle), sort_keys=True, separators=(",", ":")) + "\n"
    t2 = time.process_time()
    return t1 - t0, t2 - t1, hashlib.sha256(text.encode()).hexdigest()[:16], Counter(o["type"] for o in bundle.objects)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--tlp", default="green")
    parser.add_argument("--role", default="partner")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--profile", type=int, default=0)
    args = parser.parse_args()
    wanted = level(args.tlp)
    cleared = clearance(args.role, wanted if args.role == "partner" and wanted != "red" else None)
    with open_store("embedded", db=args.db, read_only=True) as store:
        t = time.process_time()
        records = collect_scope(store, "all")
        print(f"collect_scope {time.process_time() - t:.2f} CPU s")
    for n in range(args.repeat):
        now, now_json, now_digest, kinds = _build(records, wanted, cleared)
        # the baseline, in the same run: stix2 re-checks every pattern and timestamp text
        then, _then_json, then_digest, _kinds = _build(records, wanted, cleared, full_checks=True)
        print(f"run {n + 1}: build {now:.2f} CPU s (fully checked by stix2: {then:.2f}, {then / now:.2f}x), json "
              f"{now_json:.2f} CPU s, {sum(kinds.values())} objects "
              f"({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}), sha256 {now_digest}"
              f"{' (the same)' if now_digest == then_digest else f' DIFFERS from the baseline {then_digest}'}",
              flush=True)
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        bundle = to_stix(records, tlp=wanted, clearance=cleared, salt="bench")
        bundle_dict(bundle)
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(args.profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
