"""Which corridor reports one run renders: the cross product of ``--region`` × ``--year``, or a batch file.

A batch file (JSON, or YAML by its ``.yaml``/``.yml`` suffix) is either a list of jobs or an object
``{"level": "state", "reports": [...]}``; a job is ``{"region": "NY,NJ,CT" | ["NY", "NJ"] | null,
"year": 2021 | null, "level": "state" | "city"}`` (missing keys: every state, every year, the file's or the
command's level). Everything is checked before anything is drawn.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from exports.reports.gather import LEVELS, parse_region
from graph.errors import InvalidInput


@dataclass(frozen=True)
class Job:
    region: tuple[str, ...]
    year: int | None
    level: str


def _level(value: Any) -> str:
    if value not in LEVELS:
        raise InvalidInput(f"level must be state or city, not {value!r}")
    return str(value)


def _year(value: Any) -> int | None:
    if value is None or value == "" or (isinstance(value, str) and value.lower() == "all"):
        return None
    if isinstance(value, bool):
        raise InvalidInput(f"year must be a number like 2021, not {value!r}")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"year must be a number like 2021, not {value!r}") from None


def expand(regions: Sequence[str | None], years: Sequence[int | str | None], level: str) -> list[Job]:
    """Every region × every year (no region: all states; no year: all years), duplicates dropped, in order."""
    jobs: list[Job] = []
    for region in regions or [None]:
        for year in years or [None]:
            job = Job(parse_region(region), _year(year), _level(level))
            if job not in jobs:
                jobs.append(job)
    return jobs


def parse_batch(text: str, *, yaml: bool, level: str = "state") -> list[Job]:
    if yaml:
        try:
            import yaml as pyyaml
        except ImportError:
            raise InvalidInput("YAML batch files need PyYAML (pip install pyyaml); use a .json batch file") from None
    try:
        data = pyyaml.safe_load(text) if yaml else json.loads(text)
    except ValueError as exc:  # json.JSONDecodeError and yaml.YAMLError's text are one line enough
        raise InvalidInput(f"batch file is not valid {'YAML' if yaml else 'JSON'}: "
                           f"{str(exc).splitlines()[0]}") from None
    except Exception as exc:  # yaml.YAMLError does not derive from ValueError
        raise InvalidInput(f"batch file is not valid YAML: {str(exc).splitlines()[0]}") from None
    if isinstance(data, dict):
        level = _level(data.get("level", level))
        data = data.get("reports")
    if not isinstance(data, list) or not data:
        raise InvalidInput("batch file must list reports: [{\"region\": \"NY,NJ\", \"year\": 2021}, ...]")
    jobs: list[Job] = []
    for i, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise InvalidInput(f"batch report {i} must be an object with region/year/level")
        unknown = set(item) - {"region", "year", "level"}
        if unknown:
            raise InvalidInput(f"batch report {i} has unknown key {sorted(unknown)[0]!r}")
        region = item.get("region")
        if isinstance(region, list):
            region = ",".join(str(r) for r in region)
        job = Job(parse_region(region), _year(item.get("year")), _level(item.get("level", level)))
        if job not in jobs:
            jobs.append(job)
    return jobs


def read_batch(path: Path, level: str = "state") -> list[Job]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read batch file {path}: {exc.strerror or exc}") from None
    return parse_batch(text, yaml=path.suffix.lower() in (".yaml", ".yml"), level=level)
