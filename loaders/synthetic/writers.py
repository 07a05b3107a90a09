"""Write the files: ATF's tab-delimited FFL list, CSVs in chunks, and a few deliberately malformed rows.

Byte-for-byte determinism: every value is text before it is written, line endings are fixed (CRLF for the
ATF ``.txt`` as ATF publishes it, LF for CSV), floats are formatted by the generator, rows come in a fixed order.
Malformed rows (~0.5%) are taken only from background records nothing else refers to, so the planted truth is
never damaged; their counts per file go to ``truth.json`` as ``expected_rejects``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from loaders.synthetic.records import (
    MS_COLUMNS,
    NIBIN_COLUMNS,
    TRACE_COLUMNS,
    Columns,
    Identifiers,
    ms_rows,
    nibin_rows,
    trace_rows,
)
from loaders.synthetic.regulatory import FFL_COLUMNS, ffl_rows, hotspots, inspections
from loaders.synthetic.world import World

_BAD_DATES = ("2021-02-30", "13/45/2020", "2020-13-01", "31/31/2019", "not a date")


def write_csv(path: Path, chunks: Iterable[Columns], columns: tuple[str, ...]) -> int:
    """Write column chunks (dicts of equal-length text arrays) as one CSV with an LF line ending."""
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for chunk in chunks:
            writer.writerows(zip(*(chunk[c] for c in columns), strict=True))
            rows += len(chunk[columns[0]])
    return rows


def _columns(frame: pd.DataFrame) -> Columns:
    return {c: frame[c].to_numpy(dtype=object) for c in frame.columns}


def write_ffl_txt(path: Path, frame: pd.DataFrame) -> int:
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("\t".join(FFL_COLUMNS) + "\r\n")
        handle.write("\t".join("-" * len(c) for c in FFL_COLUMNS) + "\r\n")
        for row in zip(*(frame[c].to_numpy(dtype=object) for c in FFL_COLUMNS), strict=True):
            handle.write("\t".join(row) + "\r\n")
    return len(frame)


def _pick(world: World, candidates: np.ndarray, total: int) -> np.ndarray:
    k = min(len(candidates), round(total * world.params.malformed_share))
    return np.sort(world.rng.choice(candidates, size=k, replace=False)) if k else np.empty(0, dtype=np.int64)


def write_all(world: World, ids: Identifiers, out: Path) -> tuple[dict[str, int], dict[str, int]]:
    """Write every file; returns (rows written per file, expected rejects per file)."""
    rows: dict[str, int] = {}
    rejects: dict[str, int] = {}

    for name, previous in (("ffl_list.txt", False), ("ffl_list_prev.txt", True)):
        frame = ffl_rows(world, previous=previous).reset_index(drop=True)
        bad = np.empty(0, dtype=np.int64)
        if not previous:
            bad = _pick(world, np.flatnonzero((frame["LIC_TYPE"] == "03").to_numpy()), len(frame))
            frame.loc[bad, "LIC_SEQN"] = np.where(np.arange(len(bad)) % 2 == 0, "", "12A4")
        rows[name] = write_ffl_txt(out / name, frame)
        rejects[name] = len(bad)

    t = world.traces.frame()
    nb = world.nibin.frame()
    referenced = np.zeros(len(t), dtype=bool)
    referenced[nb["trace_a"].to_numpy()] = True
    referenced[nb["trace_b"].to_numpy()] = True
    cand = np.flatnonzero((t["scheme"] == "background").to_numpy() & ~referenced)
    bad_traces = _pick(world, cand, len(t))
    rejects["traces.csv"] = len(bad_traces)
    chunk = world.params.scale.chunk_rows

    def trace_chunks() -> Iterable[Columns]:
        order = ids.trace_order
        for start in range(0, len(order), chunk):
            part = order[start:start + chunk]
            cols = trace_rows(world, ids, part)
            for pos in np.flatnonzero(np.isin(part, bad_traces)):
                kind = int(part[pos]) % 5
                col = ("recovery_date", "trace_id", "manufacturer", "serial_number", "weapon_type")[kind]
                cols[col][pos] = _BAD_DATES[int(part[pos]) % len(_BAD_DATES)] if kind == 0 else ""
                if kind == 3:
                    cols["obliterated_serial"][pos] = "N"
            yield cols

    rows["traces.csv"] = write_csv(out / "traces.csv", trace_chunks(), TRACE_COLUMNS)

    ms = ms_rows(world, ids)
    gun_report = world.guns.frame()["ms_report"].to_numpy()[t["gun"].to_numpy()]
    linked = np.unique(gun_report[gun_report >= 0])  # reports a trace refers to stay intact
    bad = _pick(world, np.flatnonzero(~np.isin(ms["_report"], linked)), len(ms["report_id"]))
    for i, pos in enumerate(bad):
        if i % 2 == 0:
            ms["sale_date"][pos] = _BAD_DATES[i % len(_BAD_DATES)]
        else:
            ms["report_id"][pos] = ""
    rejects["multiple_sales.csv"] = len(bad)
    rows["multiple_sales.csv"] = write_csv(out / "multiple_sales.csv", [ms], MS_COLUMNS)

    leads = nibin_rows(world, ids)
    bad = _pick(world, np.flatnonzero(nb["group"].to_numpy()[leads["_row"]] < 0), len(leads["lead_id"]))
    for i, pos in enumerate(bad):
        col = ("lead_date", "trace_id_b", "status")[i % 3]
        leads[col][pos] = {"lead_date": _BAD_DATES[i % len(_BAD_DATES)], "trace_id_b": "", "status": "MAYBE"}[col]
    rejects["nibin_leads.csv"] = len(bad)
    rows["nibin_leads.csv"] = write_csv(out / "nibin_leads.csv", [leads], NIBIN_COLUMNS)

    insp_frame, viol_frame = inspections(world, ids.dealer_current)
    insp, viol = _columns(insp_frame), _columns(viol_frame)
    bad = _pick(world, np.flatnonzero(insp["outcome"] == "No Violations"), len(insp["outcome"]))
    for i, pos in enumerate(bad):
        if i % 2 == 0:
            insp["inspection_date"][pos] = _BAD_DATES[i % len(_BAD_DATES)]
        else:
            insp["inspection_id"][pos] = ""
    rejects["inspections.csv"] = len(bad)
    rows["inspections.csv"] = write_csv(out / "inspections.csv", [insp], tuple(insp_frame.columns))
    bad = _pick(world, np.arange(len(viol["violation_id"])), len(viol["violation_id"]))
    viol["violation_id"][bad] = ""
    rejects["violations.csv"] = len(bad)
    rows["violations.csv"] = write_csv(out / "violations.csv", [viol], tuple(viol_frame.columns))

    hot = hotspots(world.geo)
    rows["hotspots.csv"] = write_csv(out / "hotspots.csv", [_columns(hot)], tuple(hot.columns))
    rejects["hotspots.csv"] = 0
    world.truth["_malformed_traces"] = [{"trace": int(i)} for i in bad_traces]
    return rows, rejects
