"""The loader framework: read -> validate rows -> load in batches -> report.

Every loader subclasses :class:`Loader` and supplies its required/optional columns, ``validate`` (parse a batch,
give a reject reason per row) and ``load`` (write the good rows with idempotent upserts). :func:`run_load` does
the rest, the same way for every format:

* the file is digested (SHA-256) while its encoding is detected (UTF-8, UTF-8 with BOM, else Windows-1252; a file
  neither decodes as is refused), so the run id ``<kind>-<digest prefix>`` is a pure function of the file and
  the kind. Re-loading a file, or re-running a load that was killed halfway, writes the same keys again;
* delimited text is streamed in batches of ``batch_rows`` physical lines (default 250k) and parsed by pyarrow's
  CSV reader as strings, headers matched case-insensitively, values trimmed. One line is one record: a value
  never spans lines, so a line whose quote never closes is rejected alone ("unclosed quote") and the lines after
  it load. Rows with the wrong number of fields are rejected, not dropped. Blank lines and a second line made only
  of dashes (ATF's layout) are counted as ``skipped``;
* rejected rows go verbatim, with their line number and reason, to ``<rejects dir>/<file stem>.<kind>.rejects.csv``;
* ``read = loaded + rejected + skipped`` always, and ``read`` is the number of physical lines after the header;
  the ``LoadRun`` node (keyed by the run id) is written when the run starts
  (``finished_at`` empty) and again, complete, when it ends.

A file that cannot be read at all (missing required columns, not a table, undecodable) raises
:class:`graph.errors.InvalidInput` with one line.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from exports.csv_safe import SafeWriter
from graph import run_keys
from graph.errors import InvalidInput, TracegraphError
from graph.store import GraphStore, one_unit
from loaders.frames import arrow


@dataclass
class LoadOptions:
    rejects_dir: Path | None = None
    batch_rows: int = 250_000
    as_of: date | None = None
    year: int | None = None
    basis: str | None = None  # state-traces: the FLOW basis (default: atf_table for ATF's grid, else table:STEM)
    intel_source: str | None = None  # stix: what Intel.source says (default file:<name>; a TAXII poll: taxii:<feed>)
    reconstruct: bool = False  # stix: rebuild firearms, locations and networks carried by our extensions
    progress: Callable[[int], None] | None = None  # called with rows read so far
    crash_after_batches: int | None = None  # test hook: simulate a crash after this many batches
    # Derived work the caller wants done once the rows are in, before the run is recorded as finished (the load
    # commands pass algorithms.stolen_hits.after_load); called with the store, the kind, the run id and the trace
    # ids of the recoveries the run wrote (Loader.recoveries: None when the loader writes none), its figures join
    # the run's details. A hook, because loaders never import the analytics (tests/test_layers.py).
    after_load: Callable[[GraphStore, str, str, list[str] | None], dict[str, Any]] | None = None
    # A handle reading what the store held when it was made (graph.store.reader: another connection, made before
    # the day's transaction began), or None. A read the run's own writes cannot have changed yet may go through it
    # from another thread, beside the store's own connection (loaders.entities.PersonResolver: the first file's
    # stored persons); whether they can is told by the write counts (``writes``: nothing written since it was made)
    committed: GraphStore | None = None


@dataclass
class LoadReport:
    kind: str
    file: str
    file_sha256: str
    run_id: str
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    skipped: int = 0
    rejects_file: str | None = None
    started_at: str = ""
    finished_at: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class SimulatedCrash(RuntimeError):
    """Raised by the ``crash_after_batches`` test hook."""


@dataclass
class Batch:
    """One batch: ``frame`` has lower-case column names and raw string values ("" for empty); ``lines`` the
    line number of each row; ``headers`` the file's own column names (for verbatim rejects)."""

    frame: pd.DataFrame
    lines: np.ndarray
    headers: list[str]
    bad_rows: list[tuple[int, list[str], str]] = field(default_factory=list)  # (line, fields, reason)
    skipped: int = 0  # lines that hold no data (blank lines, ATF's dashes line): read, neither loaded nor rejected


class Loader(ABC):
    kind: str = ""
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()

    def __init__(self, store: GraphStore, path: Path, options: LoadOptions, run_id: str) -> None:
        self.store = store
        self.path = path
        self.options = options
        self.run_id = run_id
        self.details: dict[str, Any] = {}
        # the file's only batch, when it has one (run_load reads it before ``begin``): the survey validates it for
        # the load too (``surveyed``), so a day's file is parsed and validated once, not twice
        self.whole: Batch | None = None
        self._surveyed: tuple[Batch, pd.DataFrame, pd.Series] | None = None
        # the trace ids of every recovery the run wrote, kept by a loader that writes recoveries (traces): the
        # after-load check reads them by key (``LoadOptions.after_load``); None for the others
        self.recoveries: list[str] | None = None

    # hooks -----------------------------------------------------------------------------------------------------
    def begin(self) -> None:  # noqa: B027 - an optional hook
        """Before the first batch (e.g. read what the store already holds)."""

    def finish(self) -> None:  # noqa: B027 - an optional hook
        """After the last batch (e.g. FFL churn, totals); put figures into ``self.details``."""

    def close(self) -> None:  # noqa: B027 - an optional hook
        """After the run, whether it ended or failed (e.g. wait for a thread ``begin`` started)."""

    def batches(self, encoding: str) -> Iterator[Batch]:
        return read_delimited(self.path, encoding, self.options.batch_rows, self.required, self.kind)

    def survey(self) -> Iterator[pd.DataFrame]:
        """The good rows of every batch, parsed, in a pass over the whole file before anything is loaded (for
        work that must see the whole run at once, e.g. identity resolution). ``validate`` keeps state (duplicate
        checks): call this from ``begin`` and reset that state afterwards unless :attr:`surveyed` (a file of one
        batch: the load takes this validation of it, and the state it left, as its own)."""
        if self.whole is not None:
            parsed, reasons = self.validate(self.whole.frame)
            self._surveyed = (self.whole, parsed, reasons)
            yield parsed.loc[reasons.isna().to_numpy()]
            return
        for batch in self.batches(self.details.get("encoding", "utf-8")):
            parsed, reasons = self.validate(batch.frame)
            yield parsed.loc[reasons.isna().to_numpy()]

    @property
    def surveyed(self) -> bool:
        """Whether the survey validated the file's only batch for the load (its checks' state is then the load's:
        not to be reset)."""
        return self._surveyed is not None

    def checked(self, batch: Batch) -> tuple[pd.DataFrame, pd.Series]:
        """``validate`` of a batch of the load: the survey's when it validated this batch (the file's only one,
        from the same state: the same rows and reasons), else validated now."""
        if self._surveyed is not None and self._surveyed[0] is batch:
            _, parsed, reasons = self._surveyed
            self._surveyed = None
            return parsed, reasons
        return self.validate(batch.frame)

    @abstractmethod
    def validate(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
        """Parse a batch. Returns (parsed rows, reason per row: None = good)."""

    @abstractmethod
    def load(self, good: pd.DataFrame) -> int:
        """Write good rows; return how many rows were loaded."""


# --- file reading ----------------------------------------------------------------------------------------------

def digest_and_encoding(path: Path) -> tuple[str, str]:
    """SHA-256 of the file and its text encoding (``utf-8-sig`` | ``utf-8`` | ``cp1252``)."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot open ({exc.strerror})") from None
    digest = hashlib.sha256()
    candidates = {"utf-8": codecs.getincrementaldecoder("utf-8")(), "cp1252": codecs.getincrementaldecoder("cp1252")()}
    ok = dict.fromkeys(candidates, True)
    first = b""
    with handle:
        while block := handle.read(1 << 20):
            if not first:
                first = block[:4096]
            digest.update(block)
            for name, decoder in candidates.items():
                if ok[name]:
                    try:
                        decoder.decode(block)
                    except UnicodeDecodeError:
                        ok[name] = False
        for name, decoder in candidates.items():
            if ok[name]:
                try:
                    decoder.decode(b"", final=True)
                except UnicodeDecodeError:
                    ok[name] = False
    if first.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif ok["utf-8"]:
        encoding = "utf-8"
    elif ok["cp1252"]:
        encoding = "cp1252"
    else:
        encoding = "binary"
    return digest.hexdigest(), encoding


def require_text(path: Path, encoding: str, what: str = "a delimited text table") -> None:
    with path.open("rb") as handle:
        head = handle.read(4096)
    if encoding == "binary" or b"\x00" in head or head.startswith(b"PK\x03\x04"):
        raise InvalidInput(f"{path.name}: not {what} (binary or undecodable content)")


def canonical(name: str) -> str:
    return re.sub(r"\s+", "_", name.strip().lstrip("\ufeff").strip().lower())


def check_columns(columns: list[str], required: tuple[str, ...], path: Path, kind: str) -> None:
    missing = [c for c in required if c not in columns]
    if missing:
        raise InvalidInput(f"{path.name}: missing required column(s) {', '.join(missing)} for a {kind} file")


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in ("\t", ",", "|", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_delimited(path: Path, encoding: str, batch_rows: int, required: tuple[str, ...],
                   kind: str) -> Iterator[Batch]:
    """Batches of at most ``batch_rows`` physical lines. One line is one record: a value never spans lines, so a
    stray quote costs its own line (rejected as an unclosed quote), never the lines after it."""
    require_text(path, encoding)
    with path.open("rb") as handle:
        header_bytes = _header_line(handle)
        py_encoding = "utf-8-sig" if encoding == "utf-8-sig" else encoding
        header_line = header_bytes.decode(py_encoding, errors="replace")
        if not header_line.strip():
            raise InvalidInput(f"{path.name}: empty file, no header row")
        delimiter = _sniff_delimiter(header_line)
        headers = next(csv.reader([header_line], delimiter=delimiter), [])
        names = _unique([canonical(h) for h in headers])
        check_columns(names, required, path, kind)
        parser = _LineParser(names, delimiter, "utf8" if encoding.startswith("utf-8") else encoding, py_encoding)
        first = True
        for chunk, blank in _line_chunks(handle, batch_rows, first_line=2):
            if first:
                first = False
                if chunk and chunk[0][0] == 2 and _is_dashes_line(chunk[0][1], delimiter):
                    chunk, blank = chunk[1:], blank + 1  # ATF's dashes under the header: layout, not data
            batch = parser.batch(chunk, headers, path.name)
            batch.skipped = blank
            yield batch


def _header_line(handle: Any) -> bytes:
    """The first physical line (``\\n``, ``\\r\\n`` or ``\\r`` ends it); the handle is left just after it."""
    head = handle.read(1 << 16)
    while True:
        parts = head.splitlines(keepends=True)
        if len(parts) > 1 or not head or len(head) > (64 << 20):
            break
        more = handle.read(1 << 16)
        if not more:
            break
        head += more
    first = parts[0] if parts else b""
    if first.endswith(b"\r") and len(head) > len(first) and head[len(first):len(first) + 1] == b"\n":
        first += b"\n"
    handle.seek(len(first))
    return first.rstrip(b"\r\n")


def _line_chunks(handle: Any, size: int, first_line: int) -> Iterator[tuple[list[tuple[int, bytes]], int]]:
    """Lists of at most ``size`` (line number, line without its terminator) of the non-blank lines, each with the
    number of blank lines met since the previous list (blank lines hold no field: counted, never parsed)."""
    number = first_line
    rest = b""
    chunk: list[tuple[int, bytes]] = []
    blank = 0
    while True:
        block = handle.read(1 << 22)
        data = rest + block
        parts = data.splitlines(keepends=True)
        # a line is only complete once its terminator is seen (and a final \r may be the start of \r\n)
        rest = parts.pop() if block and parts and not parts[-1].endswith(b"\n") else b""
        for part in parts:
            line = part.rstrip(b"\r\n")
            if line.strip():
                chunk.append((number, line))
                if len(chunk) >= size:
                    yield chunk, blank
                    chunk, blank = [], 0
            else:
                blank += 1
            number += 1
        if not block:
            break
    if chunk or blank:
        yield chunk, blank


def _is_dashes_line(line: bytes, delimiter: str) -> bool:
    values = [v.strip() for v in line.decode("latin-1").split(delimiter)]
    return any(values) and all(re.fullmatch(r"-*", v) for v in values)


def unclosed_quote(line: str, delimiter: str) -> bool:
    """True when a value opens with a quote and the line ends before the quote closes (RFC 4180 quoting: a quote
    only opens a value at its start; ``""`` inside a quoted value is a literal quote)."""
    quoted = False
    at_start = True
    i, n = 0, len(line)
    while i < n:
        char = line[i]
        if quoted:
            if char == '"':
                if i + 1 < n and line[i + 1] == '"':
                    i += 1
                else:
                    quoted = False
        elif char == delimiter:
            at_start = True
            i += 1
            continue
        elif char == '"' and at_start:
            quoted = True
        at_start = False
        i += 1
    return quoted


class _LineParser:
    """Parses a list of physical lines into a :class:`Batch`: lines with an unclosed quote are rejected alone, the
    rest go to pyarrow's CSV parser (strings only), rows with the wrong number of fields are rejected."""

    def __init__(self, names: list[str], delimiter: str, arrow_encoding: str, py_encoding: str) -> None:
        self.names = names
        self.delimiter = delimiter
        self.arrow_encoding = arrow_encoding
        self.py_encoding = py_encoding

    def _fields(self, line: bytes) -> list[str]:
        text = line.decode(self.py_encoding, errors="replace").replace("\x00", "")
        return next(csv.reader([text], delimiter=self.delimiter), [])

    def batch(self, chunk: list[tuple[int, bytes]], headers: list[str], file_name: str) -> Batch:
        bad_rows: list[tuple[int, list[str], str]] = []
        # Fast path: the whole chunk through pyarrow. A quote left open makes pyarrow join lines, so the rows no
        # longer match the lines - except on the last line, where it runs to the end: that line is checked here.
        last_open = bool(chunk) and self._unclosed(chunk[-1][1])
        parsed = None if last_open else self._parse(chunk, file_name)
        fed = chunk
        if parsed is None:
            fed = []
            for number, line in chunk:
                if self._unclosed(line):
                    bad_rows.append((number, self._fields(line), "unclosed quote (a value opens with \" and the "
                                                                 "line ends before it closes)"))
                else:
                    fed.append((number, line))
            parsed = self._parse(fed, file_name) or self._parse_slowly(fed)
        frame, good, wrong = parsed
        for index in wrong:
            number, line = fed[index]
            fields = self._fields(line)
            bad_rows.append((number, fields, f"wrong number of fields (expected {len(self.names)}, "
                                             f"got {len(fields)})"))
        bad_rows.sort(key=lambda row: row[0])
        lines = np.array([fed[i][0] for i in good], dtype=np.int64)
        return Batch(frame, lines, headers, bad_rows)

    def _unclosed(self, line: bytes) -> bool:
        return b'"' in line and unclosed_quote(line.decode(self.py_encoding, errors="replace"), self.delimiter)

    def _parse(self, fed: list[tuple[int, bytes]], file_name: str
               ) -> tuple[pd.DataFrame, list[int], list[int]] | None:
        """(frame of the good rows, indexes into ``fed`` of the good rows, of the rows with a wrong field count),
        or None when pyarrow's rows do not match the lines one to one."""
        wrong: list[int] = []

        def on_invalid(row: Any) -> str:
            wrong.append(int(row.number) - 1)
            return "skip"

        if not fed:
            return self._parse_slowly(fed)
        try:
            table = pacsv.read_csv(
                io.BytesIO(b"\n".join(line for _, line in fed) + b"\n"),
                read_options=pacsv.ReadOptions(column_names=self.names, use_threads=False,
                                               encoding=self.arrow_encoding, block_size=64 << 20),
                parse_options=pacsv.ParseOptions(delimiter=self.delimiter, newlines_in_values=False,
                                                 ignore_empty_lines=False, invalid_row_handler=on_invalid),
                convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(self.names, pa.string()),
                                                     strings_can_be_null=False, quoted_strings_can_be_null=False))
        except pa.ArrowInvalid:
            return None
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"{file_name}: cannot be read as a table ({str(exc).splitlines()[0]})") from None
        if table.num_rows + len(wrong) != len(fed):
            return None
        wrong_set = set(wrong)
        return table.to_pandas(), [i for i in range(len(fed)) if i not in wrong_set], wrong

    def _parse_slowly(self, fed: list[tuple[int, bytes]]) -> tuple[pd.DataFrame, list[int], list[int]]:
        """Line by line with Python's csv module: the fallback when pyarrow's rows and the lines disagree."""
        rows, good, wrong = [], [], []
        for index, (_, line) in enumerate(fed):
            fields = self._fields(line)
            if len(fields) == len(self.names):
                rows.append(fields)
                good.append(index)
            else:
                wrong.append(index)
        frame = pd.DataFrame(rows, columns=self.names, dtype=object) if rows else pd.DataFrame(
            {n: pd.Series([], dtype=object) for n in self.names})
        return frame, good, wrong


def _is_dashes(row: pd.Series) -> bool:
    values = [str(v).strip() for v in row.tolist()]
    return any(values) and all(re.fullmatch(r"-*", v) for v in values)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(names):
        name = name or f"column_{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out


# --- rejects ---------------------------------------------------------------------------------------------------

class RejectsWriter:
    """``line, reason, <the file's columns>``, values verbatim but formula-safe (:mod:`exports.csv_safe`: a value
    starting ``=``, ``+``, ``-``, ``@``, tab or CR gets a leading ``'``); created on the first reject."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self._handle: io.TextIOWrapper | None = None
        self._writer: Any = None
        target.unlink(missing_ok=True)

    def write(self, headers: list[str], rows: list[tuple[int, str, list[str]]]) -> None:
        if not rows:
            return
        if self._writer is None:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.target.open("w", encoding="utf-8", newline="")
            self._writer = SafeWriter(self._handle)
            self._writer.writerow(["line", "reason", *headers])
        for line, reason, values in rows:
            self._writer.writerow([line, reason, *values])

    @property
    def path(self) -> Path | None:
        return self.target if self._writer is not None else None

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()


def default_rejects_dir(store: GraphStore) -> Path:
    db = getattr(store, "path", None)
    return (Path(db).parent if db is not None else Path("data")) / "rejects"


# --- the run ---------------------------------------------------------------------------------------------------

def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _write_run(store: GraphStore, report: LoadReport, started: datetime, finished: datetime | None) -> None:
    row = {
        "run_id": report.run_id, "kind": report.kind, "file": report.file, "file_sha256": report.file_sha256,
        "started_at": started, "finished_at": finished, "read": report.read, "loaded": report.loaded,
        "rejected": report.rejected, "rejects_file": report.rejects_file,
        "details": json.dumps(report.details, sort_keys=True, default=str),
    }
    frame = pd.DataFrame([row])
    store.upsert_nodes("LoadRun", arrow(frame, "LoadRun"))


def run_load(loader_class: type[Loader], store: GraphStore, path: Path, options: LoadOptions | None = None
             ) -> LoadReport:
    options = options or LoadOptions()
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    sha, encoding = digest_and_encoding(path)
    kind = loader_class.kind
    run_id = f"{kind}-{sha[:16]}"
    started = _now()
    report = LoadReport(kind=kind, file=str(path), file_sha256=sha, run_id=run_id,
                        started_at=started.isoformat())
    loader = loader_class(store, path, options, run_id)
    batches = loader.batches(encoding)
    first_batch = next(batches, None)  # reading the header validates the file before anything is written
    second_batch = next(batches, None) if first_batch is not None else None
    if first_batch is not None and second_batch is None:
        loader.whole = first_batch  # a file of one batch (a day's): a survey in ``begin`` validates it for the load
    rejects_dir = options.rejects_dir or default_rejects_dir(store)
    rejects = RejectsWriter(rejects_dir / f"{path.stem}.{kind}.rejects.csv")
    if encoding != "binary":
        loader.details["encoding"] = encoding
    store.init_schema()  # a store made before a property the loaders write (Person.address_key) gains it
    run_keys.begin(store, run_id)  # the keys the run writes are recorded from here (graph/run_keys.py)
    done = 0
    try:
        loader.begin()
        report.details = loader.details
        _write_run(store, report, started, None)
        pending = [b for b in (first_batch, second_batch) if b is not None]
        for number, batch in enumerate(_chain(pending, batches), start=1):
            parsed, reasons = loader.checked(batch)
            bad = reasons.notna().to_numpy()
            rows = [(int(batch.lines[i]), str(reasons.iloc[i]), [str(v) for v in batch.frame.iloc[i].tolist()])
                    for i in np.flatnonzero(bad)]
            rows += [(line, reason, fields) for line, fields, reason in batch.bad_rows]
            rows.sort(key=lambda r: r[0])
            rejects.write(batch.headers, rows)
            good = parsed.loc[~bad]
            with one_unit(store):  # a batch's nodes and relationships: all or nothing where the engine can
                loaded = loader.load(good) if len(good) else 0
            report.read += len(batch.frame) + len(batch.bad_rows) + batch.skipped
            report.skipped += batch.skipped
            report.rejected += len(rows)
            report.loaded += loaded
            done += len(batch.frame) + len(batch.bad_rows) + batch.skipped
            if options.progress:
                options.progress(done)
            if options.crash_after_batches is not None and number >= options.crash_after_batches:
                raise SimulatedCrash(f"simulated crash after {number} batch(es)")
    finally:
        rejects.close()
        loader.close()
    loader.finish()
    if options.after_load is not None:
        loader.details.update(options.after_load(store, kind, run_id, loader.recoveries))
    report.rejects_file = str(rejects.path) if rejects.path else None
    report.details = loader.details
    finished = _now()
    report.finished_at = finished.isoformat()
    if report.read != report.loaded + report.rejected + report.skipped:  # a loader bug, never a data problem
        raise AssertionError(f"{kind}: read {report.read} != loaded {report.loaded} + rejected {report.rejected}"
                             f" + skipped {report.skipped}")
    _write_run(store, report, started, finished)
    return report


def interrupted_loads(store: GraphStore) -> list[str]:
    """One line per load run that started and never finished (``LoadRun.finished_at`` empty): the store holds
    part of that file. Re-running the same load writes the same keys and finishes it."""
    try:
        runs = store.query("load_runs_unfinished").rows()
    except TracegraphError:  # a store without the schema yet (before `tracegraph init`)
        return []
    return [f"load run {run['run_id']} of {run['file']} was interrupted — re-run the same load to finish it "
            f"(tracegraph load {run['kind']} {run['file']})" for run in runs]


def _chain(first: list[Batch], rest: Iterator[Batch]) -> Iterator[Batch]:
    yield from first
    yield from rest


def reasons_from(checks: list[tuple[pd.Series, str]], index: pd.Index) -> pd.Series:
    """First failing check per row -> its reason; None where every check passes."""
    reasons = pd.Series(np.full(len(index), None, dtype=object), index=index)
    for mask, reason in reversed(checks):
        reasons[mask.to_numpy(dtype=bool)] = reason
    return reasons
