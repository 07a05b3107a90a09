"""TAXII cold start (issue 23): the first ``objects/`` page for each of N new partner keys, and the server's
resident memory after the first key and after all of them.

    python bench/bench_taxii.py --db demo-out/tracegraph.lbug [--keys 5] [--tlp amber] [--limit 1000]

Serves a *copy* of the store with uvicorn in this process (RSS is this process: the server plus a small client),
creates N partner keys cleared for ``--tlp`` and asks each for the first page of that level's collection, then of
GREEN. Collections are built once per level and shared by keys (api/taxii_collections.py): the first key pays the
build, the others a page.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api import taxii_collections
from api.security import KeyFile
from api.settings import Settings
from api.taxii import COLLECTIONS, TAXII
from graph.embedded_writes import copy_store_files
from tests.api.server import serving


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--keys", type=int, default=5)
    parser.add_argument("--tlp", default="amber", choices=("clear", "green", "amber", "amber+strict"))
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--warm", action="store_true", help="let the server build partner levels at start-up "
                        "(the default setting) and wait for it; without it the first key pays the build")
    args = parser.parse_args()
    level_id = {lvl: cid for cid, lvl in COLLECTIONS.items()}
    with tempfile.TemporaryDirectory(prefix="bench-taxii-") as tmp:
        work = Path(tmp)
        db = work / args.db.name
        copy_store_files(args.db, db)
        settings = Settings(db=db, api_keys_file=work / "keys.json", audit_log=work / "audit.jsonl",
                            api_taxii_warm=args.warm)
        key_file = KeyFile.for_settings(settings)
        keys = []
        for n in range(args.keys):
            record, secret = key_file.create("partner", f"bench partner {n}", args.tlp, purpose="benchmark")
            keys.append(f"{record.key_id}.{secret}")
        started = time.monotonic()
        with serving(settings) as base_url, httpx.Client(base_url=base_url, timeout=3600) as client:
            print(f"server up in {time.monotonic() - started:.1f} s, RSS {rss_mib():,.0f} MiB "
                  f"(load average {os.getloadavg()[0]:.1f})")
            if args.warm:
                t0 = time.monotonic()
                while taxii_collections.builds < (3 if args.tlp != "green" else 2):
                    time.sleep(0.5)
                print(f"background build of the partner levels done {time.monotonic() - t0:.1f} s after start-up, "
                      f"RSS {rss_mib():,.0f} MiB")
            for lvl in (args.tlp, "green") if args.tlp != "green" else ("green",):
                for n, key in enumerate(keys, 1):
                    t0 = time.monotonic()
                    got = client.get(f"/taxii2/api1/collections/{level_id[lvl]}/objects/",
                                     params={"limit": args.limit}, headers={"X-API-Key": key, "Accept": TAXII})
                    took = time.monotonic() - t0
                    got.raise_for_status()
                    body = got.json()
                    print(f"{lvl:>12} key {n}: first page {took:6.2f} s, {len(body['objects']):,} objects, "
                          f"more={body['more']}, RSS {rss_mib():,.0f} MiB, builds so far "
                          f"{taxii_collections.builds} (load average {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
