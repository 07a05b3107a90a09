"""Spreadsheet reading (openpyxl, read-only streaming) into the same batches as delimited text."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import load_workbook

from graph.errors import InvalidInput
from loaders.base import Batch, _is_dashes, _unique, canonical, check_columns


def cell_text(value: Any) -> str:
    """A cell as the text a person would see: integers without '.0', dates as ISO, None as ''."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def sheet_rows(path: Path, sheet: str | None = None) -> tuple[str, Iterator[tuple[int, list[str]]]]:
    """(sheet title, iterator of (row number, cell texts)) for the first (or named) sheet."""
    if not zipfile.is_zipfile(path):
        raise InvalidInput(f"{path.name}: not an .xlsx workbook")
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise InvalidInput(f"{path.name}: cannot be read as an .xlsx workbook ({type(exc).__name__})") from None
    sheet_obj = book[sheet] if sheet else book.worksheets[0]

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for number, values in enumerate(sheet_obj.iter_rows(values_only=True), start=1):
                yield number, [cell_text(v) for v in values]
        finally:
            book.close()

    return str(sheet_obj.title), rows()


def read_xlsx(path: Path, batch_rows: int, required: tuple[str, ...], kind: str) -> Iterator[Batch]:
    """Header in the first non-empty row; an ATF dashes row under it is skipped; empty rows are skipped."""
    _, rows = sheet_rows(path)
    headers: list[str] | None = None
    names: list[str] = []
    buffer: list[list[str]] = []
    lines: list[int] = []
    bad_rows: list[tuple[int, list[str], str]] = []
    skipped = blank = 0  # blank rows count as skipped once a data row follows them (trailing ones are not rows)
    first_data = True

    def batch() -> Batch:
        return Batch(pd.DataFrame(buffer, columns=names, dtype=object), np.array(lines, dtype=np.int64),
                     headers or [], list(bad_rows), skipped)

    for number, values in rows:
        if not any(v.strip() for v in values):
            blank += headers is not None
            continue
        if headers is None:
            while values and not values[-1].strip():
                values = values[:-1]
            headers = values
            names = _unique([canonical(h) for h in headers])
            check_columns(names, required, path, kind)
            continue
        skipped, blank = skipped + blank, 0
        if any(v.strip() for v in values[len(names):]):
            width = max(i for i, v in enumerate(values) if v.strip()) + 1
            bad_rows.append((number, values[:width],
                             f"wrong number of fields (expected {len(names)}, got {width})"))
            continue
        values = (values + [""] * len(names))[: len(names)]
        if first_data:
            first_data = False
            if _is_dashes(pd.Series(values)):
                skipped += 1
                continue
        buffer.append(values)
        lines.append(number)
        if len(buffer) + len(bad_rows) >= batch_rows:
            yield batch()
            buffer, lines, skipped = [], [], 0
            bad_rows.clear()
    if headers is None:
        raise InvalidInput(f"{path.name}: empty workbook, no header row")
    if buffer or bad_rows or skipped:
        yield batch()
