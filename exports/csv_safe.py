"""The one CSV writer of every CSV tracegraph writes (exports, command output, rejects files, API responses).

A cell that a spreadsheet would run as a formula — text starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return — gets a leading ``'`` (OWASP "CSV Injection"), so a name such as ``=HYPERLINK(...)`` that arrived
in a trace file shows as text when an analyst opens the export in Excel or LibreOffice. Plain numbers (``-12``,
``+3.5``, ``-1e3``) are left alone: they are data, not formulas. The data in the store keeps the value as given.

>>> neutralise("=HYPERLINK(\\"http://x\\")")
'\\'=HYPERLINK("http://x")'
>>> neutralise("-12.5"), neutralise("@SUM(1)"), neutralise(7), neutralise(None)
('-12.5', "'@SUM(1)", 7, '')
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise(value: Any) -> Any:
    """The value as a CSV cell: None -> ``''``; formula-like text -> ``'`` + text; anything else unchanged."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = value if isinstance(value, str) else str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class SafeWriter:
    """``csv.writer`` (RFC 4180: CRLF line ends) whose every cell goes through :func:`neutralise`."""

    def __init__(self, handle: IO[str]) -> None:
        # CRLF line ends (RFC 4180) also make the csv module quote a value holding a bare CR
        self._writer = csv.writer(handle, lineterminator="\r\n")

    def writerow(self, values: Iterable[Any]) -> None:
        self._writer.writerow([neutralise(v) for v in values])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def write_table(handle: IO[str], columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> None:
    """Header + one line per mapping (only ``columns``, in that order; a missing key is an empty cell)."""
    writer = SafeWriter(handle)
    writer.writerow(columns)
    writer.writerows([row.get(c) for c in columns] for row in rows)


def table_text(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """:func:`write_table` into a string."""
    buffer = io.StringIO()
    write_table(buffer, columns, rows)
    return buffer.getvalue()
