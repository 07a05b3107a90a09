"""A day's files in one folder, for ``tracegraph load day DIR``: which file is which kind, and in what order.

A day brings new trace results, multiple-sale reports, NIBIN leads and lost/stolen reports (the kinds an
incremental analysis takes, :data:`algorithms.runs.INCREMENTAL_KINDS`). A file's kind is read from the start of
its name, case-insensitively (``traces…``, ``multiple_sales…`` or ``multiple-sales…``, ``nibin…``, ``stolen…``:
the names the simulator and the exports of DATA_FORMATS.md use, with a date or a suffix after them). Traces load
first (a NIBIN lead can only name traces already loaded), then multiple sales, leads and lost/stolen reports; files
of one kind in name order. A file whose name names no kind is refused with its name before anything is loaded: a
day's file is never skipped in silence.
"""

from __future__ import annotations

from pathlib import Path

from graph.errors import InvalidInput

DAY = "day"  # the KIND of `tracegraph load day DIR`
#: (kind, the name starts it is recognised by), in load order
DAY_KINDS = (("traces", ("traces",)), ("multiple-sales", ("multiple_sales", "multiple-sales")),
             ("nibin", ("nibin",)), ("stolen", ("stolen",)))


def day_files(folder: Path) -> list[tuple[str, Path]]:
    """(kind, file) for every file in ``folder`` (hidden files aside), in load order.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> for name in ("nibin_leads.csv", "Traces-2026-12-05.csv", "multiple_sales.csv"):
    ...     _ = (folder / name).write_text("x")
    >>> [(kind, path.name) for kind, path in day_files(folder)]
    [('traces', 'Traces-2026-12-05.csv'), ('multiple-sales', 'multiple_sales.csv'), ('nibin', 'nibin_leads.csv')]
    """
    if not folder.is_dir():
        raise InvalidInput(f"{folder}: not a folder (load day takes the folder holding the day's files)")
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    found: list[tuple[str, Path]] = []
    unknown = []
    for path in files:
        name = path.name.lower()
        kind = next((k for k, starts in DAY_KINDS if name.startswith(starts)), None)
        if kind is None:
            unknown.append(path.name)
        else:
            found.append((kind, path))
    if unknown:
        raise InvalidInput(f"{folder}: no kind for {', '.join(unknown)} (a day's file name starts with "
                           + ", ".join(s for _, starts in DAY_KINDS for s in starts) + ")")
    if not found:
        raise InvalidInput(f"{folder}: no file to load")
    order = [k for k, _ in DAY_KINDS]
    return sorted(found, key=lambda item: (order.index(item[0]), item[1].name))
