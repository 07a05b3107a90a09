"""Plain helpers shared by the loader tests."""

from __future__ import annotations

import csv
from pathlib import Path

from loaders.base import LoadReport

FIXTURES = Path(__file__).parents[1] / "data" / "loaders"


def rejects(report: LoadReport) -> list[dict[str, str]]:
    if report.rejects_file is None:
        return []
    with open(report.rejects_file, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
