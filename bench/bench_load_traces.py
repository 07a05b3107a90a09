"""Throughput of the trace loader: N synthetic trace rows (seeded) into a fresh embedded store.

    .venv/bin/python bench/bench_load_traces.py --rows 1000000 [--seed 7] [--batch-rows 250000] [--keep DIR]

Prints generation time, load time, rows/s and peak RSS. The generator is deliberately simple (it exercises the
loader, not the analytics): a pool of dealers, a pool of people (so identity resolution has repeats to merge),
real ZIP codes and Census places, 3% obliterated serials, 40% of traces with a possessor.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graph.embedded_store import EmbeddedStore
from loaders.base import LoadOptions, run_load
from loaders.domain import reference
from loaders.traces import TracesLoader

LAST = np.array(["SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "GARCIA", "MILLER", "DAVIS", "RODRIGUEZ",
                 "MARTINEZ", "HERNANDEZ", "LOPEZ", "GONZALEZ", "WILSON", "ANDERSON", "THOMAS", "TAYLOR", "MOORE",
                 "JACKSON", "MARTIN", "LEE", "PEREZ", "THOMPSON", "WHITE", "HARRIS", "SANCHEZ", "CLARK", "RAMIREZ",
                 "LEWIS", "ROBINSON", "WALKER", "YOUNG", "ALLEN", "KING", "WRIGHT", "SCOTT", "TORRES", "NGUYEN"])
FIRST = np.array(["JAMES", "MARY", "ROBERT", "PATRICIA", "JOHN", "JENNIFER", "MICHAEL", "LINDA", "DAVID",
                  "ELIZABETH", "WILLIAM", "BARBARA", "RICHARD", "SUSAN", "JOSEPH", "JESSICA", "THOMAS", "SARAH",
                  "CHARLES", "KAREN", "CHRISTOPHER", "LISA", "DANIEL", "NANCY", "MATTHEW", "BETTY", "ANTHONY"])
MAKERS = np.array(["GLOCK", "SMITH & WESSON", "S&W", "RUGER", "STURM RUGER", "TAURUS", "HI-POINT", "SIG SAUER",
                   "SCCY", "KEL-TEC", "SPRINGFIELD ARMORY", "MOSSBERG", "REMINGTON", "BERETTA", "COLT"])
TYPES = np.array(["PISTOL", "PISTOL", "PISTOL", "PISTOL", "REVOLVER", "RIFLE", "SHOTGUN"])
CRIMES = np.array(["HOMICIDE", "ASSAULT", "ROBBERY", "DRUGS", "WEAPON OFFENSE", "POSSESSION", "FOUND"])


def generate_traces(rows: int, seed: int = 7) -> pd.DataFrame:
    """``rows`` trace records in the ``traces.csv`` layout (strings), reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    places = reference.places()
    places = places[places["state"].isin(reference.states()["state"].head(51))].reset_index(drop=True)
    zips = reference.zip_centroids()["zip"].to_numpy()
    epoch = np.datetime64("2010-01-01")
    n_people = max(rows // 3, 10)
    people_last = LAST[rng.integers(0, len(LAST), n_people)]
    people_first = FIRST[rng.integers(0, len(FIRST), n_people)]
    people_dob = (np.datetime64("1950-01-01") + rng.integers(0, 18_000, n_people)).astype(str)
    people_zip = zips[rng.integers(0, len(zips), n_people)]
    people_street = np.char.add(rng.integers(1, 9999, n_people).astype(str), " MAIN ST")
    place_of = rng.integers(0, len(places), n_people)
    buyer = rng.integers(0, n_people, rows)
    holder = rng.integers(0, n_people, rows)
    has_holder = rng.random(rows) < 0.4
    recovery_place = places.iloc[rng.integers(0, len(places), rows)]
    purchase = epoch + rng.integers(0, 3000, rows)
    recovery = purchase + rng.integers(1, 2500, rows)
    obliterated = rng.random(rows) < 0.03
    dealers = rng.integers(10000, 15000, rows)
    ffl = np.char.add(np.char.add("1-54-003-01-", np.where(rng.random(rows) < 0.5, "5A-", "8C-")),
                      dealers.astype(str))

    def maybe(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return np.where(mask, values, "")

    iso = rng.random(rows) < 0.5
    dob = pd.Series(people_dob[buyer])
    us_dob = (dob.str[5:7] + "/" + dob.str[8:10] + "/" + dob.str[:4]).to_numpy()
    return pd.DataFrame({
        "trace_id": np.char.add("T", np.arange(rows).astype(str)),
        "request_date": (recovery + 5).astype(str),
        "recovery_date": recovery.astype(str),
        "recovery_street": "",
        "recovery_city": recovery_place["city"].to_numpy(),
        "recovery_state": recovery_place["state"].to_numpy(),
        "recovery_zip": "",
        "recovery_country": "US",
        "crime_code": CRIMES[rng.integers(0, len(CRIMES), rows)],
        "agency_ori": "XX0000000",
        "serial_number": maybe(np.char.add("SN", rng.integers(0, 10**9, rows).astype(str)), ~obliterated),
        "obliterated_serial": np.where(obliterated, "Y", "N"),
        "manufacturer": MAKERS[rng.integers(0, len(MAKERS), rows)],
        "model": "M1",
        "caliber": "9MM",
        "weapon_type": TYPES[rng.integers(0, len(TYPES), rows)],
        "trace_status": "COMPLETED",
        "dealer_ffl": ffl,
        "purchase_date": purchase.astype(str),
        "purchaser_last_name": people_last[buyer],
        "purchaser_first_name": people_first[buyer],
        "purchaser_dob": np.where(iso, dob.to_numpy(), us_dob),
        "purchaser_street": people_street[buyer],
        "purchaser_city": places["city"].to_numpy()[place_of[buyer]],
        "purchaser_state": places["state"].to_numpy()[place_of[buyer]],
        "purchaser_zip": people_zip[buyer],
        "possessor_last_name": maybe(people_last[holder], has_holder),
        "possessor_first_name": maybe(people_first[holder], has_holder),
        "possessor_dob": maybe(people_dob[holder], has_holder),
        "possessor_street": maybe(people_street[holder], has_holder),
        "possessor_city": maybe(places["city"].to_numpy()[place_of[holder]], has_holder),
        "possessor_state": maybe(places["state"].to_numpy()[place_of[holder]], has_holder),
        "possessor_zip": maybe(people_zip[holder], has_holder),
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch-rows", type=int, default=250_000)
    parser.add_argument("--keep", type=Path, default=None, help="work here and keep the files")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="tracegraph-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        csv_path = work / "traces.csv"
        generate_traces(args.rows, args.seed).to_csv(csv_path, index=False)
        generated = time.perf_counter() - started
        store = EmbeddedStore(work / "bench.lbug")
        store.init_schema()
        started, cpu = time.perf_counter(), time.process_time()
        report = run_load(TracesLoader, store, csv_path,
                          LoadOptions(rejects_dir=work / "rejects", batch_rows=args.batch_rows))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        counts = store.counts()
        store.close()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"rows {report.read:,} (loaded {report.loaded:,}, rejected {report.rejected:,}); "
              f"csv {csv_path.stat().st_size / 1e6:.0f} MB generated in {generated:.1f} s")
        print(f"load {elapsed:.1f} s wall ({cpu:.1f} s CPU, all threads) = {report.read / elapsed:,.0f} rows/s; "
              f"batches of {args.batch_rows:,} rows; peak RSS {peak_mb:,.0f} MB; load average "
              f"{os.getloadavg()[0]:.1f} at the end")
        print(f"nodes {counts['nodes']}")
        print(f"relationships { {k: v for k, v in counts['relationships'].items() if v} }")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
