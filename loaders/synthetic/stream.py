"""A simulated world cut into a history and a stream of daily batches, for incremental analysis and alerts.

The latest trace requests (by ``request_date``) form the batches, one request day after another grouped into
``batches`` files of about the same size; everything older is the history. Multiple-sale reports follow their
``sale_date`` past the first batch day; a NIBIN lead goes with the later of its two traces (a lead can only name
traces already loaded). The other files (FFL lists, inspections, hotspots, lost/stolen reports) are history.
Rows are copied verbatim, so every batch is a valid input file of DATA_FORMATS.md.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

HISTORY_FILES = ("ffl_list_prev.txt", "ffl_list.txt", "traces.csv", "multiple_sales.csv", "nibin_leads.csv",
                 "inspections.csv", "violations.csv", "hotspots.csv", "stolen.csv")
BATCH_KINDS = (("traces", "traces.csv"), ("multiple-sales", "multiple_sales.csv"), ("nibin", "nibin_leads.csv"))


@dataclass(frozen=True)
class Stream:
    history: Path                # a folder holding every input file, cut at the first batch day
    batches: list[Path]          # one folder per batch with traces.csv, multiple_sales.csv, nibin_leads.csv
    days: list[tuple[str, str]]  # first and last request day of each batch


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def split(world: Path, out: Path, *, batches: int = 3, batch_traces: int = 100) -> Stream:
    """Cut the simulated world in ``world`` into ``out/history`` and ``out/batch-1`` … ``out/batch-N``, each
    batch holding about ``batch_traces`` trace rows (whole request days)."""
    header, traces = _read(world / "traces.csv")
    days = sorted({row["request_date"] for row in traces})
    per_day: dict[str, int] = {}
    for row in traces:
        per_day[row["request_date"]] = per_day.get(row["request_date"], 0) + 1
    groups: list[list[str]] = []
    current: list[str] = []
    for day in reversed(days):
        current.insert(0, day)
        if sum(per_day[d] for d in current) >= batch_traces:
            groups.insert(0, current)
            current = []
        if len(groups) == batches:
            break
    batch_of_day = {day: number for number, group in enumerate(groups, start=1) for day in group}
    first_day = groups[0][0]
    history = out / "history"
    history.mkdir(parents=True, exist_ok=True)
    for name in HISTORY_FILES:
        if name not in ("traces.csv", "multiple_sales.csv", "nibin_leads.csv") and (world / name).exists():
            (history / name).write_bytes((world / name).read_bytes())
    batch_dirs = [out / f"batch-{n}" for n in range(1, len(groups) + 1)]
    trace_batch = {row["trace_id"]: batch_of_day.get(row["request_date"], 0) for row in traces}
    _spread(header, traces, lambda row: trace_batch[row["trace_id"]], history, batch_dirs, "traces.csv")
    sales_header, sales = _read(world / "multiple_sales.csv")

    def sale_batch(row: dict[str, str]) -> int:
        if row["sale_date"] < first_day:
            return 0
        return next((n for n, group in enumerate(groups, start=1) if row["sale_date"] <= group[-1]), len(groups))

    _spread(sales_header, sales, sale_batch, history, batch_dirs, "multiple_sales.csv")
    leads_header, leads = _read(world / "nibin_leads.csv")
    _spread(leads_header, leads, lambda row: max(trace_batch.get(row["trace_id_a"], 0),
                                                 trace_batch.get(row["trace_id_b"], 0)),
            history, batch_dirs, "nibin_leads.csv")
    return Stream(history=history, batches=batch_dirs, days=[(group[0], group[-1]) for group in groups])


def _spread(header: list[str], rows: list[dict[str, str]], batch_of: object, history: Path, batch_dirs: list[Path],
            name: str) -> None:
    buckets: list[list[dict[str, str]]] = [[] for _ in range(len(batch_dirs) + 1)]
    for row in rows:
        buckets[batch_of(row)].append(row)  # type: ignore[operator]
    _write(history / name, header, buckets[0])
    for folder, bucket in zip(batch_dirs, buckets[1:], strict=True):
        _write(folder / name, header, bucket)
