"""What the corrected-records check costs a load (``loaders/corrections.py``): CPU seconds spent reading the stored
versions and replacing what a record no longer states, per 2,000 multiple-sale rows, NIBIN leads and lost/stolen
rows, loaded new, loaded again unchanged and loaded again corrected.

Works on a copy of an analysed store (``--store``; the state world's is ~48k traces). The rows are made up from what
the store holds (its dealers and recoveries), so nothing has to match a world's files: new report, lead and sale
ids, the same file again, then every record with other facts (another purchaser and date; another second trace;
another last gun and another reporter). Only the correction functions are timed (wrapped), not the rest of the load.

    .venv/bin/python bench/bench_corrections.py --store /tmp/corr11/base.lbug --work /tmp/corr11/bench
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graph.embedded_store import EmbeddedStore
from graph.embedded_writes import copy_store_files
from loaders import corrections
from loaders.base import LoadOptions, run_load
from loaders.kinds import loader_for

TIMED = ("sale_versions", "replace_earlier_sales", "lead_versions", "replace_earlier_leads", "theft_versions",
         "replace_earlier_thefts")
ROWS = 2_000


def _timed(spent: dict[str, float], name: str) -> None:
    inner = getattr(corrections, name)

    @functools.wraps(inner)
    def run(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return inner(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.process_time() - start
    setattr(corrections, name, run)


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _files(store: EmbeddedStore, work: Path) -> dict[str, list[Path]]:
    """Per kind: the new file, the same again, the corrected one."""
    licenses = sorted(d["license_number"] for d in store.node_table("Dealer", ("license_number",)).to_pylist()
                      if d["license_number"])[:600]
    traces = sorted(store.node_table("Recovery").column("key").to_pylist())[:ROWS + 2]

    def sale(i: int, last: str, day: str) -> dict[str, str]:
        return {"report_id": f"BENCH-{i // 4}", "form": "3310.4", "dealer_ffl": licenses[i // 4 % len(licenses)],
                "sale_date": day, "purchaser_last_name": last, "purchaser_first_name": f"P{i // 4}",
                "purchaser_dob": "1980-05-01", "purchaser_street": f"{i // 4} Bench St", "purchaser_city": "Richmond",
                "purchaser_state": "VA", "purchaser_zip": "23221", "serial_number": f"BS{i}", "manufacturer": "GLOCK",
                "model": "19", "caliber": "9MM", "weapon_type": "PISTOL"}

    def lead(i: int, shift: int) -> dict[str, str]:
        return {"lead_id": f"BL-{i}", "trace_id_a": traces[i], "trace_id_b": traces[i + shift],
                "lead_date": "2020-04-01", "status": "CONFIRMED"}

    def theft(i: int, last_serial: str, reporter: str) -> dict[str, str]:
        serial = last_serial + str(i) if i % 3 == 2 else f"BT{i}"
        return {"report_id": f"BR-{i // 3}", "reported_date": "2019-06-01", "reporter": reporter,
                "serial_number": serial, "manufacturer": "GLOCK", "model": "17", "caliber": "9MM",
                "weapon_type": "PISTOL", "country": "US"}

    made = {
        "multiple-sales": ([sale(i, "SMITH", "2019-01-10") for i in range(ROWS)],
                           [sale(i, "JONES", "2019-01-11") for i in range(ROWS)]),
        "nibin": ([lead(i, 1) for i in range(ROWS)], [lead(i, 2) for i in range(ROWS)]),
        "stolen": ([theft(i, "BT", licenses[0]) for i in range(ROWS)],
                   [theft(i, "BX", licenses[1]) for i in range(ROWS)]),
    }
    return {kind: [_write(work / f"{kind}-new.csv", first), _write(work / f"{kind}-same.csv", first),
                   _write(work / f"{kind}-fixed.csv", fixed)] for kind, (first, fixed) in made.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    args = parser.parse_args(argv)
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    copy_store_files(args.store, args.work / "s.lbug")
    spent: dict[str, float] = {}
    for name in TIMED:
        _timed(spent, name)
    figures: dict[str, Any] = {"rows": ROWS, "load_average": os.getloadavg()[0]}
    with EmbeddedStore(args.work / "s.lbug") as store:
        options = LoadOptions(rejects_dir=args.work / "rejects")
        for kind, files in _files(store, args.work).items():
            for phase, path in zip(("new", "same", "corrected"), files, strict=True):
                spent.clear()
                start = time.process_time()
                report = run_load(loader_for(kind), store, path, options)
                figures[f"{kind} {phase}"] = {
                    "loaded": report.loaded, "corrected": report.details.get("corrected", 0),
                    "check_cpu_s": round(sum(spent.values()), 3), "load_cpu_s": round(time.process_time() - start, 2),
                    **{k: round(v, 3) for k, v in spent.items()}}
                print(kind, phase, json.dumps(figures[f"{kind} {phase}"]), flush=True)
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
