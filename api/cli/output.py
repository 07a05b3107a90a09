"""The one writer of what CLI commands print as data: a table, CSV or JSON, with the same rules everywhere.

Rules (every command, every format):

- missing is missing: ``None``, NaN, ±infinity, pandas ``NA``/``NaT`` -> JSON ``null``, an empty CSV cell, an
  empty table cell;
- numbers are plain: numpy scalars become Python numbers; floats in rows are rounded to 4 decimals (in CSV, JSON
  and the table alike);
- dates and times are ISO 8601: a date ``2016-05-01``; a time stamp ``2016-05-01T13:45:00`` (with its offset
  when it has one); a time stamp at midnight without an offset is a date held as a time stamp and prints as the
  date;
- structured values stay structured: in JSON a list or object is nested JSON, never JSON text inside a string
  (columns a store returns as JSON text, such as ``indicators``, are decoded); in a CSV or table cell it is
  compact JSON text;
- CSV goes through :mod:`exports.csv_safe` (formula-safe cells, RFC 4180 line ends); JSON is one document on one
  line (the last stdout line), keys in column order.

>>> plain(float("nan")), plain(2.123456), plain(__import__("datetime").date(2016, 5, 1))
(None, 2.1235, '2016-05-01')
>>> cell('["cash", "multiple"]', structured=True)
['cash', 'multiple']
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

FORMATS = ("table", "csv", "json")
DECIMALS = 4


def check_format(fmt: str, allowed: Sequence[str] = FORMATS) -> None:
    """Refuse an unknown ``--format`` in one line (exit 2)."""
    if fmt not in allowed:
        from graph.errors import InvalidInput

        raise InvalidInput(f"--format must be one of {', '.join(allowed)}")


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return not math.isfinite(value)
    return type(value).__name__ in ("NAType", "NaTType")  # pandas NA / NaT, without importing pandas


def plain(value: Any, *, decimals: int | None = DECIMALS) -> Any:
    """One value by the rules above (recursively for lists and mappings); floats rounded to ``decimals``."""
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if _missing(value):
        return None
    if isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return round(value, decimals) if decimals is not None else value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None and value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v, decimals=decimals) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)) or type(value).__name__ == "ndarray":
        return [plain(v, decimals=decimals) for v in value]
    if isinstance(value, Path):
        return str(value)
    return str(value)


def cell(value: Any, *, structured: bool = False) -> Any:
    """A row value for JSON: :func:`plain`, and JSON text decoded when the column is ``structured``."""
    if structured and isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    return plain(value)


def _text(value: Any) -> str:
    """A JSON-ready value as the text of a CSV or table cell."""
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return value if isinstance(value, str) else json.dumps(value) if isinstance(value, bool) else str(value)


def records(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], structured: Iterable[str] = ()
            ) -> list[dict[str, Any]]:
    """``rows`` as plain JSON-ready dicts of ``columns`` (in that order; a missing key is null)."""
    nested = set(structured)
    return [{c: cell(row.get(c), structured=c in nested) for c in columns} for row in rows]


def render(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], fmt: str, *, title: str = "",
           structured: Iterable[str] = (), width: int = 200) -> str:
    """The text :func:`emit` writes (a table rendered ``width`` columns wide)."""
    plain_rows = records(rows, columns, structured)
    if fmt == "json":
        return json.dumps(plain_rows, allow_nan=False) + "\n"
    if fmt == "csv":
        from exports.csv_safe import table_text

        return table_text(columns, ({c: _text(r[c]) if isinstance(r[c], (list, dict)) else r[c] for c in columns}
                                    for r in plain_rows))
    from rich.console import Console

    console = Console(emoji=False, width=width, record=True, file=io.StringIO())
    console.print(_table(plain_rows, columns, title))
    return console.export_text()


def _table(plain_rows: list[dict[str, Any]], columns: Sequence[str], title: str) -> Any:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title or None)
    for column in columns:
        table.add_column(column)
    for row in plain_rows:
        table.add_row(*(escape(_text(row[c])) for c in columns))
    return table


def emit(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], fmt: str, *, out_file: Path | None = None,
         title: str = "", structured: Iterable[str] = ()) -> None:
    """Write ``rows`` (only ``columns``) as ``fmt`` (table | csv | json) to stdout or ``out_file`` (a table on
    stdout takes the terminal's width)."""
    check_format(fmt)
    if fmt == "table" and out_file is None:
        from api.cli.common import out

        out.print(_table(records(rows, columns, structured), columns, title))
        return
    write(render(rows, columns, fmt, title=title, structured=structured), out_file)


def emit_document(document: Any, *, out_file: Path | None = None, sort_keys: bool = False) -> None:
    """One JSON document (a profile, a summary) by the same rules, floats as they are, on one line."""
    write(json.dumps(plain(document, decimals=None), allow_nan=False, sort_keys=sort_keys) + "\n", out_file)


def write(text: str, out_file: Path | None) -> None:
    """``text`` to stdout, or into ``out_file`` (UTF-8, line ends as given)."""
    if out_file is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        out_file.write_text(text, encoding="utf-8", newline="")
