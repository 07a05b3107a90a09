"""ATF annual trace statistics by state: "Firearms Sourced and Recovered in the United States and Territories".

Three layouts, detected from the file:

* ATF's yearly grid as published (``.xlsx``, or the same grid saved as ``.csv``): one sheet per calendar year,
  states on both axes. ATF transposed the grid in 2012 and 2013, so the orientation is read from the sheet: the
  axis labelled "Source State" is the source (its label sits over the column names, or beside the row names).
  TOTAL/TOTALS rows and columns are skipped (the sums are checked against the cells and any mismatch reported in
  the LoadRun details); territories (Guam, Puerto Rico, US Virgin Islands...) are kept; a stray non-state label
  such as CANADA is kept as a country Location (``country:CA``, level ``country``); any other unknown label is
  rejected with its cells. Footnote rows are not data. The year comes from ``--year``, else the file name, else
  the sheet title, else the footnote "between 1/1/YYYY ...".
* the long form ``year, source_state, recovery_state, firearms`` (``Year, originated-in, recovered-in, Number``
  accepted too); TOTAL lines there are rejected with that reason, never loaded as flows.

Each cell becomes ``(Location source)-[:FLOW {year, basis, dataset, level: 'state', firearms}]->(Location
recovery)`` between state Locations (``state:US-VA``), zero cells included (they are part of the model's fit).

Basis and precedence (docs/corridors.md): ATF's grid as published is ``basis = 'atf_table'``, the official table.
A long-form file is somebody's transcription (e.g. the SandyHook project's 2011 table), so it gets a basis of its
own, ``table:<file stem>`` — unless ``--basis atf_table`` says it is ATF's own table in long form. A second table
for the same cells therefore never overwrites ATF's counts: both stay, each with its ``dataset`` (the file name),
and the corridor queries show the ATF table for the cells it covers.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator

import numpy as np
import pandas as pd

from graph.errors import InvalidInput
from loaders import geo
from loaders.base import Batch, Loader, canonical, check_columns, read_delimited, reasons_from, require_text
from loaders.domain import locations
from loaders.domain.parsing import parse_numbers, state_code, text
from loaders.frames import arrow
from loaders.xlsx import sheet_rows

LONG = ("year", "source_state", "recovery_state", "firearms")
_ALIASES = {"originated-in": "source_state", "originated_in": "source_state", "recovered-in": "recovery_state",
            "recovered_in": "recovery_state", "number": "firearms", "count": "firearms"}
COUNTRIES = {"CANADA": "CA", "MEXICO": "MX"}
_TOTAL = re.compile(r"^TOTALS?$", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)")
ATF_TABLE = "atf_table"


def table_basis(name: str) -> str:
    """The basis of a table that is not ATF's published grid: ``table:`` + a slug of its name.

    >>> table_basis("2011tracingdatabystate")
    'table:2011tracingdatabystate'
    >>> table_basis("My Table (v2)")
    'table:my-table-v2'
    """
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return f"table:{slug or 'unnamed'}"


def place_code(label: str | None) -> tuple[str | None, str | None]:
    """('state', 'VA') / ('country', 'CA') / (None, None) for a table label."""
    if not label:
        return None, None
    code = state_code(label)
    if code:
        return "state", code
    country = COUNTRIES.get(re.sub(r"\s+", " ", label.strip().upper()))
    return ("country", country) if country else (None, None)


def grid_to_long(rows: list[tuple[int, list[str]]], year: int | None, name: str, title: str = ""
                 ) -> tuple[pd.DataFrame, np.ndarray, dict[str, object]]:
    """An ATF source/recovery grid -> long rows (raw strings), their line numbers and what was skipped."""
    header_at = next((i for i, (_, cells) in enumerate(rows)
                      if sum(place_code(c)[0] == "state" for c in cells) >= 10), None)
    if header_at is None:
        raise InvalidInput(f"{name}: no row of state names; not an ATF source/recovery table")
    header = rows[header_at][1]
    first_col = next(i for i, c in enumerate(header) if place_code(c)[0] == "state")
    label_col = max(first_col - 1, 0)
    columns_are_source = _columns_are_source(rows, header_at, first_col, name)
    text_blob = " ".join(c for _, cells in rows for c in cells if c and not c.replace(".", "").isdigit())
    if year is None:
        for candidate in (name, title, text_blob):
            found = _YEAR.search(candidate or "")
            if found:
                year = int(found.group(1))
                break
    if year is None:
        raise InvalidInput(f"{name}: cannot tell the year (use --year)")
    col_labels = {j: header[j].strip() for j in range(first_col, len(header)) if header[j].strip()}
    total_cols = {j for j, label in col_labels.items() if _TOTAL.match(label)}
    out: list[tuple[str, str, str, str]] = []
    lines: list[int] = []
    skipped_totals = 0
    mismatches: list[str] = []
    for line, cells in rows[header_at + 1:]:
        label = cells[label_col].strip() if label_col < len(cells) else ""
        values = {j: (cells[j].strip() if j < len(cells) else "") for j in col_labels}
        if not label or not any(re.fullmatch(r"-?[\d,]+(\.0+)?", v) for v in values.values()):
            continue  # blank or footnote row
        if _TOTAL.match(label):
            skipped_totals += 1
            continue
        row_sum = 0
        for j, col_label in col_labels.items():
            if j in total_cols:
                continue
            source, recovery = (col_label, label) if columns_are_source else (label, col_label)
            out.append((str(year), source, recovery, values[j]))
            lines.append(line)
            row_sum += int(float(values[j].replace(",", ""))) if re.fullmatch(r"[\d,]+(\.0+)?", values[j]) else 0
        for j in total_cols:
            stated = values[j].replace(",", "")
            if stated.isdigit() and int(stated) != row_sum:
                mismatches.append(f"{label}: cells sum to {row_sum}, TOTAL says {stated}")
    frame = pd.DataFrame(out, columns=list(LONG), dtype=object)
    details: dict[str, object] = {"year": year, "orientation": "columns=source" if columns_are_source
                                  else "rows=source", "total_rows_skipped": skipped_totals,
                                  "total_columns_skipped": len(total_cols), "total_mismatches": mismatches[:50]}
    return frame, np.array(lines, dtype=int), details


def _columns_are_source(rows: list[tuple[int, list[str]]], header_at: int, first_col: int, name: str) -> bool:
    for word, source_means_columns in (("SOURCE", True), ("RECOVER", False)):
        for i, (_, cells) in enumerate(rows[: header_at + 3]):
            for j, cell in enumerate(cells):
                if word in cell.upper() and place_code(cell)[0] is None:
                    over_columns = i < header_at and j >= first_col - 1 and j >= 1
                    return over_columns if source_means_columns else not over_columns
    raise InvalidInput(f"{name}: cannot tell which axis is the source state (no 'Source State' label)")


class StateTracesLoader(Loader):
    kind = "state-traces"
    required = ()

    def batches(self, encoding: str) -> Iterator[Batch]:
        if self.path.suffix.lower() in (".xlsx", ".xlsm"):
            title, sheet = sheet_rows(self.path)
            return self._grid(list(sheet), title)
        require_text(self.path, encoding)
        with self.path.open(encoding="utf-8-sig" if encoding == "utf-8-sig" else encoding, newline="") as handle:
            head = handle.readline()
        names = [_ALIASES.get(canonical(c), canonical(c)) for c in next(csv.reader([head]), [])]
        if all(c in names for c in LONG):
            return self._long(encoding)
        if sum(c in names for c in LONG) >= 2:
            check_columns(names, LONG, self.path, self.kind)
        with self.path.open(encoding="utf-8-sig" if encoding == "utf-8-sig" else encoding, newline="") as handle:
            grid = [(i, row) for i, row in enumerate(csv.reader(handle), start=1)]
        return self._grid(grid, "")

    def _grid(self, rows: list[tuple[int, list[str]]], title: str) -> Iterator[Batch]:
        frame, lines, details = grid_to_long(rows, self.options.year, self.path.name, title)
        self.details.update({"layout": "grid", **details})
        yield Batch(frame, lines, list(LONG))

    def _long(self, encoding: str) -> Iterator[Batch]:
        self.details["layout"] = "long"
        for batch in read_delimited(self.path, encoding, self.options.batch_rows, (), self.kind):
            batch.frame = batch.frame.rename(columns=_ALIASES)
            yield batch

    def begin(self) -> None:
        self.seen: set[tuple[str, str, str]] = set()
        self.basis = self.options.basis or (ATF_TABLE if self.details.get("layout") == "grid"
                                            else table_basis(self.path.stem))
        self.details["basis"] = self.basis

    def validate(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
        checks: list[tuple[pd.Series, str]] = []
        years, _ = parse_numbers(text(frame, "year"), 1900, 2100)
        checks.append((years.isna(), "bad or missing year"))
        out: dict[str, pd.Series] = {"year": years}
        for side in ("source", "recovery"):
            label = text(frame, f"{side}_state")
            checks.append((label.fillna("").str.match(_TOTAL), "TOTAL line (a sum, not a flow)"))
            coded = label.map(place_code, na_action="ignore")
            out[f"{side}_kind"] = coded.map(lambda t: t[0] if isinstance(t, tuple) else None).astype(object)
            out[f"{side}_code"] = coded.map(lambda t: t[1] if isinstance(t, tuple) else None).astype(object)
            checks.append((out[f"{side}_code"].isna(), f"unknown {side} place label"))
        counts, _ = parse_numbers(text(frame, "firearms").fillna("0"), 0, None)
        out["firearms"] = counts
        checks.append((counts.isna() | (counts.fillna(0) % 1 != 0), "firearms is not a whole number"))
        keys = list(zip(years.astype(str), (out["source_kind"] + ":" + out["source_code"]).astype(str),
                        (out["recovery_kind"] + ":" + out["recovery_code"]).astype(str), strict=True))
        duplicate = (pd.Series([k in self.seen for k in keys], index=frame.index)
                     | pd.Series(keys).duplicated().to_numpy())
        checks.append((duplicate & out["source_code"].notna() & out["recovery_code"].notna(),
                       "duplicate year/source/recovery"))
        self.seen.update(keys)
        return pd.DataFrame(out, index=frame.index), reasons_from(checks, frame.index)

    def load(self, good: pd.DataFrame) -> int:
        def keys(side: str) -> pd.Series:
            is_state = good[f"{side}_kind"] == "state"
            return locations.state_keys(good[f"{side}_code"]).where(is_state, "country:" + good[f"{side}_code"])

        places = []
        for side in ("source", "recovery"):
            is_state = good[f"{side}_kind"] == "state"
            places.append(pd.DataFrame({"country": good[f"{side}_code"].where(~is_state, locations.US),
                                        "state": good[f"{side}_code"].where(is_state, None), "city_norm": None,
                                        "city": None, "zip": None}))
        geo.upsert_places(self.store, pd.concat(places, ignore_index=True))
        both_states = (good["source_kind"] == "state") & (good["recovery_kind"] == "state")
        flows = pd.DataFrame({"from_key": keys("source"), "to_key": keys("recovery"),
                              "year": good["year"].astype("int64"), "level": np.where(both_states, "state", "country"),
                              "basis": self.basis, "dataset": self.path.name,
                              "firearms": good["firearms"].astype("int64")})
        self.store.upsert_relationships("FLOW", "Location", "Location", arrow(flows, rel_type="FLOW"))
        return len(good)


